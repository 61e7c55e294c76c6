import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import type { JWK } from 'jose'

/**
 * Everything Sigil signs goes through this interface, and no other code touches a private key. The only
 * implementation is localSigner; a KMS or HSM would be another one, returning the JWS signature bytes (for ES256,
 * r || s as RFC 7518 §3.4 requires), with a key ring entry referencing the remote key (openKeyRing reads only local
 * private JWKs today).
 */
export interface Signer {
  readonly kid: string
  readonly alg: 'ES256'
  readonly publicJwk: JWK
  sign(data: Uint8Array): Promise<Uint8Array>
}

/**
 * A signer over a private JWK held in this process. It signs with node:crypto's synchronous call: WebCrypto's
 * `subtle.sign` is the same OpenSSL signature run as a job on the libuv thread pool, a trip to another thread and
 * back for every token (signer.test.ts checks the signatures verify with jose and WebCrypto).
 */
export async function localSigner(kid: string, privateJwk: JWK): Promise<Signer> {
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || typeof privateJwk.d !== 'string') {
    throw new Error(`key ${kid}: an ES256 signer needs a private P-256 JWK`)
  }
  const key = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y, d: privateJwk.d }, format: 'jwk' })
  // Node does not check that d belongs to (x, y); a key that does not would publish a public key nothing verifies
  // with. One signature at load tells.
  const probe = Buffer.from(`sigil key check ${kid}`)
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y }, format: 'jwk' })
  if (!nodeVerify('sha256', probe, publicKey, nodeSign('sha256', probe, key))) throw new Error(`key ${kid}: the private part does not match the public point`)
  const { d: _d, ...pub } = privateJwk
  const publicJwk: JWK = { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y, kid, alg: 'ES256', use: 'sig' }
  return {
    kid,
    alg: 'ES256',
    publicJwk,
    async sign(data) {
      // JWS wants r || s (RFC 7518 §3.4), not DER.
      return new Uint8Array(nodeSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }))
    },
  }
}
