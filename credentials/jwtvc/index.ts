export { KYC_JWT_VC_CLAIMS, issueKycJwtVc, toDidJwtSigner, type IssueKycJwtVcOptions } from './issueJwtVc.ts'
export { verifyJwtVc, type VerifyJwtVcOptions, type VerifyJwtVcResult } from './verifyJwtVc.ts'
export { verifyJwtVp, type VerifyJwtVpOptions, type VerifyJwtVpResult } from './verifyJwtVp.ts'
