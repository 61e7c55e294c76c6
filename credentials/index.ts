/**
 * The DID and verifiable-credential library (keys, DIDs, SD-JWT VC, JWT-VC, status lists, trusted issuers).
 * It is pure: no Express, Redis, environment, system clock or network of its own. Keys (Signer), `now`, the DID
 * resolver's fetch and the status list fetcher are arguments, so relying apps can import it to verify offline
 * and the web wallet can run it in the browser (Web Crypto and Uint8Array only).
 *
 * Every failure is a {@link CredentialError} with a stable {@link CredentialErrorCode}.
 */

/** Errors: one class, stable snake_case codes. */
export { CredentialError, type CredentialErrorCode, type CredentialErrorOptions } from './errors.ts'

/** base64url and JSON helpers without Buffer. */
export { decodeBase64url, encodeBase64url } from './encoding/index.ts'

/** Keys: ES256/EdDSA allowlist, key generation with RFC 7638 kids, the Signer interface (KMS/HSM-ready). */
export {
  SIGNING_ALGS, assertAlgAllowed, createLocalSigner, generateKeyPair, importPublicJwk, jwkThumbprint, publicJwk,
  type GeneratedKeyPair, type LocalSigner, type Signer, type SigningAlg,
} from './keys/index.ts'

/** Compact JWS over a Signer, and its verification. */
export { decodeJws, signJws, verifyJwsSignature, type DecodedJws } from './jws/index.ts'

/** DIDs: did:web documents and URLs, did:key and did:jwk, a did-resolver Resolver, issuer key lookup by kid. */
export {
  createDidWebDocument, createResolver, didJwkDriver, didJwkFromJwk, didKeyDriver, didKeyFromJwk, didWebDocumentUrl, didWebDriver, didWebFromUrl, jwkFromDidJwk, jwkFromDidKey, resolveDidKey,
  type CreateResolverOptions, type DidWebFetch, type ResolveDidKeyOptions,
} from './dids/index.ts'

/** Trusted issuers: who may issue which vct, with which keys. */
export { findTrustedIssuer, type TrustedIssuer, type TrustedIssuerList } from './trust/index.ts'

/** KYC credential: subject schema, vct, type metadata, issuance as SD-JWT VC. */
export {
  KYC_DISCLOSABLE_PATHS, KYC_VISIBLE_CLAIMS, ageOn, issueKycSdJwtVc, kycTypeMetadata, kycVct, parseKycSubject, zKycSubject,
  type IssueKycSdJwtVcOptions, type KycSubject, type KycTypeMetadata,
} from './kyc/index.ts'

/** SD-JWT VC (RFC 9901, SD-JWT VC draft): issue, present with KB-JWT, strict verify. */
export {
  KB_JWT_TYP, SD_JWT_VC_LEGACY_TYP, SD_JWT_VC_TYP, createSdJwtVcVerifier, decodeSdJwt, issueSdJwtVc, presentSdJwtVc, verifySdJwtVc,
  type ClaimPath, type DecodedSdJwt, type IssueSdJwtVcOptions, type PresentSdJwtVcOptions, type SdJwtVcVerifier,
  type SdJwtVcVerifierConfig, type VerifiedKbJwt, type VerifySdJwtVcOptions, type VerifySdJwtVcResult,
} from './sdjwt/index.ts'

/** The offline verifier a relying app imports. */
export { verifyPresentation, type VerifyPresentationOptions, type VerifyPresentationResult } from './presentation/index.ts'

/** Legacy W3C JWT-VC form (did-jwt-vc): non-PII claims only. */
export {
  KYC_JWT_VC_CLAIMS, issueKycJwtVc, verifyJwtVc, verifyJwtVp, type IssueKycJwtVcOptions, type VerifyJwtVcOptions, type VerifyJwtVcResult,
  type VerifyJwtVpOptions, type VerifyJwtVpResult,
} from './jwtvc/index.ts'

/** Token Status List (draft-ietf-oauth-status-list): lists, tokens, checks. */
export {
  STATUS_LIST_TYP, StatusListCache, StatusValue, checkStatus, createStatusList, createStatusListToken, decodeStatusList, encodeStatusList,
  getStatus, setStatus, statusListSize, verifyStatusListToken,
  type CheckStatusOptions, type CreateStatusListTokenOptions, type EncodedStatusList, type FetchStatusList, type StatusBits, type StatusList,
  type StatusListKeyResolver, type StatusReference, type VerifyStatusListTokenOptions, type VerifyStatusListTokenResult,
} from './statusList/index.ts'
