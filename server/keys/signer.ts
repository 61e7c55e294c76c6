import { webcrypto } from 'node:crypto'
import type { JWK } from 'jose'

/**
 * Everything Sigil signs goes through this interface, so a KMS or HSM can take the place of the local key:
 * such a signer returns the JWS signature bytes (for ES256, r || s as RFC 7518 §3.4 requires).
 */
export interface Signer {
  readonly kid: string
  readonly alg: 'ES256'
  readonly publicJwk: JWK
  sign(data: Uint8Array): Promise<Uint8Array>
}

/** A signer over a private JWK held in this process. */
export async function localSigner(kid: string, privateJwk: JWK): Promise<Signer> {
  const key = await webcrypto.subtle.importKey('jwk', privateJwk as webcrypto.JsonWebKey,
    { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
  const { d: _d, ...pub } = privateJwk
  const publicJwk: JWK = { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y, kid, alg: 'ES256', use: 'sig' }
  return {
    kid,
    alg: 'ES256',
    publicJwk,
    async sign(data) {
      return new Uint8Array(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, data))
    },
  }
}
