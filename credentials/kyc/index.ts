export { ISO_3166_ALPHA2 } from './countries.ts'
export { issueKycSdJwtVc, type IssueKycSdJwtVcOptions } from './issueKyc.ts'
export { ageOn, parseKycSubject, zKycSubject, type KycSubject } from './schema.ts'
export { KYC_DISCLOSABLE_PATHS, KYC_VISIBLE_CLAIMS, kycTypeMetadata, kycVct, type KycTypeMetadata } from './vct.ts'
