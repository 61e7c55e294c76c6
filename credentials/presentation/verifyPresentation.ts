import {
  createSdJwtVcVerifier, type ClaimPath, type SdJwtVcVerifier, type SdJwtVcVerifierConfig, type VerifySdJwtVcResult,
} from '../sdjwt/index.ts'

/**
 * Options of verifyPresentation: the verifier's own trust list, resolver, status fetcher and clock, plus what it
 * asked the holder for. Nonce and audience are required: an offline verifier always demands holder binding.
 */
export interface VerifyPresentationOptions extends SdJwtVcVerifierConfig {
  now: Date
  expectedNonce: string
  expectedAudience: string
  expectedVct?: string
  /** The claims requested; anything else disclosed is `claims_not_requested`. */
  expectedClaims?: readonly ClaimPath[]
}

/** A verified presentation: issuer, vct, always-visible and disclosed claims, holder key, status. */
export type VerifyPresentationResult = VerifySdJwtVcResult

// Every member of SdJwtVcVerifierConfig but trustedIssuers (the WeakMap key), as a record so that a member added
// there and not here fails to compile: one left out is silently dropped (keyCacheSeconds was, so a key the issuer
// took out of its DID document stayed accepted for the default 5 minutes).
type ConfigKey = Exclude<keyof SdJwtVcVerifierConfig, 'trustedIssuers'>
const CONFIG_MEMBERS: Record<ConfigKey, true> = {
  resolver: true, fetchStatusList: true, allowedAlgs: true, allowLegacyTyp: true, clockToleranceSeconds: true, kbMaxAgeSeconds: true,
  keyCacheSeconds: true, maxStatusAgeSeconds: true,
}
const CONFIG_KEYS = Object.keys(CONFIG_MEMBERS) as ConfigKey[]
const verifiers = new WeakMap<object, { config: SdJwtVcVerifierConfig; verifier: SdJwtVcVerifier }[]>()

// Calls that share the same trustedIssuers array and configuration share one verifier, so keys are imported
// and status lists fetched once, without the relying app managing a verifier object.
function verifierFor(options: VerifyPresentationOptions): SdJwtVcVerifier {
  const list = verifiers.get(options.trustedIssuers) ?? []
  verifiers.set(options.trustedIssuers, list)
  const hit = list.find((v) => CONFIG_KEYS.every((k) => v.config[k] === options[k]))
  if (hit) return hit.verifier
  const config: SdJwtVcVerifierConfig = { trustedIssuers: options.trustedIssuers }
  for (const k of CONFIG_KEYS) if (options[k] !== undefined) (config as unknown as Record<string, unknown>)[k] = options[k]
  const verifier = createSdJwtVcVerifier(config)
  if (list.length >= 8) list.shift()
  list.push({ config, verifier })
  return verifier
}

/**
 * Verifies a holder's SD-JWT VC presentation with no server: issuer signature and trust, `typ` and `alg`,
 * disclosures (strictly), holder binding with nonce, audience and freshness, expiry, revocation (when a status
 * fetcher is given), and that nothing beyond `expectedClaims` was disclosed. Returns the verified claims or throws
 * a CredentialError.
 */
export function verifyPresentation(presentation: string, options: VerifyPresentationOptions): Promise<VerifyPresentationResult> {
  return verifierFor(options).verify(presentation, {
    now: options.now,
    expectedNonce: options.expectedNonce,
    expectedAudience: options.expectedAudience,
    requireKeyBinding: true,
    ...(options.expectedVct === undefined ? {} : { expectedVct: options.expectedVct }),
    ...(options.expectedClaims === undefined ? {} : { expectedClaims: options.expectedClaims }),
  })
}
