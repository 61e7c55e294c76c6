/**
 * Every failure in credentials/ is a CredentialError with a stable snake_case `code` (the server maps codes to
 * HTTP statuses; tests assert on codes, never on messages). The codes, by where they arise:
 */
export type CredentialErrorCode =
  // input shape
  | 'credential_malformed' // not a compact SD-JWT / JWS, bad base64url or JSON, a required claim missing or mistyped
  | 'options_invalid' // the caller's options contradict each other (a programming error, not bad input)
  // algorithms and keys
  | 'alg_not_allowed' // `alg` outside the allowlist (ES256, EdDSA); `none` included
  | 'key_invalid' // a JWK that is not a P-256 / Ed25519 public key, or does not fit the `alg`
  | 'key_unknown' // no key of the issuer matches the `kid`
  | 'signature_invalid' // the issuer's signature does not verify
  // DIDs
  | 'did_invalid' // not a DID this library understands (did:web, did:key, did:jwk)
  | 'did_resolution_failed' // the DID document could not be obtained or is inconsistent
  // issuer-signed JWT
  | 'typ_invalid' // issuer JWT `typ` is not `dc+sd-jwt` (nor `vc+sd-jwt` when legacy is allowed), or a wrong `typ` elsewhere
  | 'issuer_untrusted' // `iss` is not in the trusted-issuer list
  | 'vct_untrusted' // the trusted issuer is not allowed to issue this `vct`
  | 'credential_expired' // now ≥ exp + tolerance
  | 'credential_not_yet_valid' // nbf or iat later than now + tolerance
  | 'sd_alg_unsupported' // `_sd_alg` other than sha-256
  // disclosures (RFC 9901 §7.1)
  | 'disclosure_malformed' // not base64url JSON [salt, name, value] / [salt, value], or the wrong kind for where it is referenced
  | 'disclosure_unreferenced' // its digest is referenced nowhere: a tampered disclosure or one from another credential
  | 'disclosure_duplicated' // the same disclosure (or the same digest in the payload) twice
  | 'disclosure_reserved_name' // a disclosure names its claim `_sd` or `...`
  | 'disclosure_claim_conflict' // a disclosed claim name already exists in the object
  // key binding (RFC 9901 §4.3, §7.3)
  | 'holder_key_missing' // holder binding required but the credential has no usable `cnf.jwk`
  | 'kb_jwt_missing' // holder binding required but the presentation has no KB-JWT
  | 'kb_jwt_invalid' // KB-JWT malformed, wrong `typ`, or its signature does not verify with `cnf.jwk`
  | 'kb_jwt_stale' // KB-JWT `iat` outside the accepted window
  | 'sd_hash_mismatch' // KB-JWT `sd_hash` is not the hash of the presented SD-JWT
  | 'nonce_mismatch'
  | 'audience_mismatch'
  // JWT-VC presentations (verifyJwtVp)
  | 'vp_invalid' // not a holder-signed VP JWT with one JWT-VC: wrong `typ`, `iss` not a did:jwk/did:key, bad signature
  | 'vp_stale' // VP `iat` outside the accepted window, or `exp` passed
  | 'holder_mismatch' // the credential's `sub` is not the DID that signed the presentation
  // what was disclosed
  | 'claim_not_found' // the holder asked to disclose a claim the credential does not have
  | 'claims_not_requested' // the presentation discloses claims outside `expectedClaims`
  | 'claims_missing' // a claim in `expectedClaims` is neither disclosed nor always visible: the question is not answered
  // status (draft-ietf-oauth-status-list)
  | 'credential_revoked' // status 1, INVALID
  | 'credential_suspended' // status 2, SUSPENDED
  | 'status_invalid' // another status value, an index outside the list, or a malformed status reference
  | 'status_list_invalid' // the status list token is malformed, expired, unsigned by the issuer, or for another URI
  | 'status_unavailable' // the status list could not be fetched, or the token fetched is older than its `ttl` allows
  // KYC data
  | 'kyc_data_invalid'

/** Optional context of a CredentialError; `field` names the offending input path (`address.country`). */
export interface CredentialErrorOptions {
  detail?: string
  field?: string
  cause?: unknown
}

/** The one error class of credentials/: a stable `code`, optional human `detail` and offending `field`. */
export class CredentialError extends Error {
  readonly code: CredentialErrorCode
  readonly detail: string | undefined
  readonly field: string | undefined

  constructor(code: CredentialErrorCode, options: CredentialErrorOptions = {}) {
    super(options.detail ? `${code}: ${options.detail}` : code, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CredentialError'
    this.code = code
    this.detail = options.detail
    this.field = options.field
  }
}

/** Shorthand for `throw new CredentialError(...)` in expression position. */
export function fail(code: CredentialErrorCode, detail?: string, extra: Omit<CredentialErrorOptions, 'detail'> = {}): never {
  throw new CredentialError(code, { ...extra, detail })
}
