import type { DIDDocument, DIDResolver } from 'did-resolver'
import type { JWK } from 'jose'
import { decodeBase64url, encodeBase64url } from '../encoding/index.ts'
import { fail } from '../errors.ts'
import { algOfJwk } from '../keys/index.ts'
import { decodeBase58btc, encodeBase58btc } from './base58.ts'
import { keyDocument } from './keyDocument.ts'
import { compressP256, decompressP256 } from './p256Point.ts'

// Multicodec varint prefixes (multiformats/multicodec table.csv): ed25519-pub 0xed, p256-pub 0x1200.
const ED25519 = [0xed, 0x01]
const P256 = [0x80, 0x24]

/** did:key (W3C CCG did:key v0.7) for an Ed25519 or P-256 public JWK; P-256 points are compressed. */
export function didKeyFromJwk(jwk: JWK): string {
  const alg = algOfJwk(jwk)
  const body = alg === 'EdDSA' ? decodeBase64url(String(jwk.x), 'key_invalid') : compressP256(String(jwk.x), String(jwk.y))
  if (alg === 'EdDSA' && body.length !== 32) fail('key_invalid', 'Ed25519 key must be 32 bytes')
  const bytes = new Uint8Array(2 + body.length)
  bytes.set(alg === 'EdDSA' ? ED25519 : P256)
  bytes.set(body, 2)
  return `did:key:z${encodeBase58btc(bytes)}`
}

/** The public JWK a did:key encodes; other key types or a malformed identifier are `did_invalid`. */
export function jwkFromDidKey(did: string): JWK {
  const m = /^did:key:z([1-9A-HJ-NP-Za-km-z]+)$/.exec(did)
  if (!m) fail('did_invalid', 'not a base58btc did:key')
  const bytes = decodeBase58btc(m[1]!)
  const body = bytes.subarray(2)
  if (bytes[0] === ED25519[0] && bytes[1] === ED25519[1]) {
    if (body.length !== 32) fail('did_invalid', 'Ed25519 key must be 32 bytes')
    return { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(body) }
  }
  if (bytes[0] === P256[0] && bytes[1] === P256[1]) return { kty: 'EC', crv: 'P-256', ...decompressP256(body) }
  fail('did_invalid', 'did:key of an unsupported key type')
}

/** The DID document of a did:key: one JsonWebKey2020 method, `#<multibase>`, in every verification relationship. */
export function didKeyDocument(did: string): DIDDocument {
  return keyDocument(did, `${did}#${did.slice('did:key:'.length)}`, jwkFromDidKey(did))
}

/** did-resolver driver for did:key (Ed25519 and P-256). */
export const didKeyDriver: Record<'key', DIDResolver> = {
  key: async (did) => {
    try {
      return { didDocument: didKeyDocument(did), didDocumentMetadata: {}, didResolutionMetadata: { contentType: 'application/did+json' } }
    } catch (e) {
      return { didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { error: 'invalidDid', message: (e as Error).message } }
    }
  },
}
