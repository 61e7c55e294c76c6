import type { JWK } from 'jose'
import { encodeBase64url, utf8 } from '../encoding/index.ts'
import { algOfJwk } from './algorithms.ts'

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the required members in lexicographic order, no whitespace.
 * Sigil uses it as every key's `kid`.
 */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  const members = algOfJwk(jwk) === 'ES256'
    ? `{"crv":"P-256","kty":"EC","x":${JSON.stringify(jwk.x)},"y":${JSON.stringify(jwk.y)}}`
    : `{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(jwk.x)}}`
  return encodeBase64url(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', utf8(members))))
}
