export { isPathPrefix, pathsOverlap, pathToString, valueAt, type ClaimPath } from './claimPath.ts'
export { splitSdJwt, type SplitSdJwt } from './compact.ts'
export { decodeSdJwt, type DecodedSdJwt } from './decodeSdJwt.ts'
export { parseDisclosure, type Disclosure } from './disclosure.ts'
export { SD_ALG, sha256Base64url } from './hash.ts'
export { SD_JWT_VC_LEGACY_TYP, SD_JWT_VC_TYP, issueSdJwtVc, type IssueSdJwtVcOptions } from './issue.ts'
export { KB_JWT_TYP, createKbJwt, verifyKbJwt, type CreateKbJwtOptions, type VerifiedKbJwt, type VerifyKbJwtOptions } from './keyBinding.ts'
export { presentSdJwtVc, type PresentSdJwtVcOptions } from './present.ts'
export { reconstruct, type Reconstructed } from './reconstruct.ts'
export {
  createSdJwtVcVerifier, verifySdJwtVc,
  type SdJwtVcVerifier, type SdJwtVcVerifierConfig, type VerifySdJwtVcOptions, type VerifySdJwtVcResult,
} from './verifier.ts'
