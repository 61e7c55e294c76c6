import { decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose'
import type { AppDeps } from '../deps.ts'
import { PROOF_ALGS } from './issuer.ts'
import { OAuthError } from './oauthError.ts'

export const PROOF_TYP = 'openid4vci-proof+jwt'
/** How old a proof's `iat` may be, and how far ahead of our clock. */
const PROOF_MAX_AGE_SECONDS = 300
const CLOCK_TOLERANCE_SECONDS = 30

const invalidProof = (why: string): OAuthError => new OAuthError('invalid_proof', 400, why)

/**
 * Checks a key proof JWT (OpenID4VCI 1.0 Appendix F.1) and returns the holder's public key to bind the credential
 * to: `typ` openid4vci-proof+jwt, alg ES256 or EdDSA, the key in the `jwk` header (a public key), signature, `aud`
 * = our credential issuer identifier, a fresh `iat`, and a `nonce` we issued, which is consumed here (once).
 * Everything is checked before the nonce is spent, so a malformed proof leaves it for a corrected retry.
 */
export async function verifyKeyProof(deps: AppDeps, jwt: string, expectedAudience: string): Promise<JWK> {
  let header
  try {
    header = decodeProtectedHeader(jwt)
  } catch {
    throw invalidProof('The proof is not a JWT.')
  }
  if (header.typ !== PROOF_TYP) throw invalidProof(`typ must be ${PROOF_TYP}.`)
  if (!(PROOF_ALGS as readonly string[]).includes(String(header.alg))) throw invalidProof(`alg must be one of ${PROOF_ALGS.join(', ')}.`)
  const jwk = header.jwk as JWK | undefined
  if (!jwk || typeof jwk !== 'object') throw invalidProof('Put the holder key in the jwk header (kid and x5c are not supported).')
  if (header.kid !== undefined || header.x5c !== undefined) throw invalidProof('Use only one of jwk, kid and x5c.')
  if ('d' in jwk) throw invalidProof('The jwk header holds a private key.')
  let payload
  try {
    ({ payload } = await jwtVerify(jwt, EmbeddedJWK, {
      algorithms: [...PROOF_ALGS], typ: PROOF_TYP, audience: expectedAudience, currentDate: new Date(deps.now()),
      maxTokenAge: PROOF_MAX_AGE_SECONDS, clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['iat'],
    }))
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'invalid'
    const claim = (err as { claim?: string }).claim
    throw invalidProof(claim ? `Proof claim ${claim} is not acceptable (${code}).` : `The proof does not verify (${code}).`)
  }
  if (typeof payload.nonce !== 'string' || payload.nonce === '') throw new OAuthError('invalid_nonce', 400, 'The proof has no nonce: get one from the nonce endpoint.')
  const expiresAt = await deps.store.kyc.consumeNonce(payload.nonce)
  if (expiresAt === undefined || expiresAt <= deps.now()) {
    throw new OAuthError('invalid_nonce', 400, 'The nonce is unknown, expired or already used: get a new one from the nonce endpoint.')
  }
  const { kty, crv, x, y } = jwk
  return { kty, crv, x, ...(y === undefined ? {} : { y }) } as JWK
}
