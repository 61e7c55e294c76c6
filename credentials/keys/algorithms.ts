import type { JWK } from 'jose'
import { fail } from '../errors.ts'

/** The JWS algorithms Sigil signs and accepts (STYLE §8): ES256 (P-256) and EdDSA (Ed25519). `none` never. */
export const SIGNING_ALGS = ['ES256', 'EdDSA'] as const
export type SigningAlg = (typeof SIGNING_ALGS)[number]

/** Returns `alg` when it is one of `allowed` (default: all of SIGNING_ALGS); else throws `alg_not_allowed`. */
export function assertAlgAllowed(alg: unknown, allowed: readonly SigningAlg[] = SIGNING_ALGS): SigningAlg {
  if (typeof alg !== 'string' || !(allowed as readonly string[]).includes(alg)) fail('alg_not_allowed', `alg ${String(alg)}`)
  return alg as SigningAlg
}

/** Web Crypto parameters for importing a key of `alg`. */
export function importParams(alg: SigningAlg): EcKeyImportParams | Algorithm {
  return alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' }
}

/** Web Crypto parameters for signing or verifying with `alg`. */
export function signParams(alg: SigningAlg): EcdsaParams | Algorithm {
  return alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' }
}

/** The one JWS alg a public or private JWK is used with: EC P-256 → ES256, OKP Ed25519 → EdDSA. */
export function algOfJwk(jwk: JWK): SigningAlg {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.x === 'string' && typeof jwk.y === 'string') return 'ES256'
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string') return 'EdDSA'
  fail('key_invalid', `unsupported key ${String(jwk.kty)}/${String(jwk.crv)}`)
}

/** The public members of a JWK (RFC 7517), keeping `kid`; drops `d` and Web Crypto's `key_ops`/`ext`. */
export function publicJwk(jwk: JWK): JWK {
  const alg = algOfJwk(jwk)
  const pub: JWK = alg === 'ES256' ? { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } : { kty: 'OKP', crv: 'Ed25519', x: jwk.x }
  if (jwk.kid !== undefined) pub.kid = jwk.kid
  return pub
}
