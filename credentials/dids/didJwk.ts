import type { DIDDocument, DIDResolver } from 'did-resolver'
import type { JWK } from 'jose'
import { decodeBase64urlJson, encodeBase64urlJson, isObject } from '../encoding/index.ts'
import { fail } from '../errors.ts'
import { algOfJwk, publicJwk } from '../keys/index.ts'
import { keyDocument } from './keyDocument.ts'

/** did:jwk (quartzjer/did-jwk spec): base64url of the public JWK's UTF-8 JSON. */
export function didJwkFromJwk(jwk: JWK): string {
  const { kid: _kid, ...pub } = publicJwk(jwk)
  return `did:jwk:${encodeBase64urlJson(pub)}`
}

/** The public JWK inside a did:jwk; a private key or a key type Sigil does not use is `did_invalid`. */
export function jwkFromDidJwk(did: string): JWK {
  if (!did.startsWith('did:jwk:')) fail('did_invalid', 'not a did:jwk')
  const jwk = decodeBase64urlJson(did.slice('did:jwk:'.length), 'did_invalid')
  if (!isObject(jwk)) fail('did_invalid', 'did:jwk does not hold a JWK')
  if ('d' in jwk) fail('did_invalid', 'did:jwk must not hold a private key')
  try {
    algOfJwk(jwk as JWK)
  } catch {
    fail('did_invalid', 'did:jwk of an unsupported key type')
  }
  return jwk as JWK
}

/**
 * The did:jwk document: method `#0`. The spec puts a `use: enc` key in keyAgreement only; Sigil's keys sign, so
 * such a key gets no verification relationship here and verifies nothing.
 */
export function didJwkDocument(did: string): DIDDocument {
  const jwk = jwkFromDidJwk(did)
  const doc = keyDocument(did, `${did}#0`, jwk)
  if (jwk.use === 'enc') return { ...doc, authentication: [], assertionMethod: [], capabilityInvocation: [], capabilityDelegation: [] }
  return doc
}

/** did-resolver driver for did:jwk. */
export const didJwkDriver: Record<'jwk', DIDResolver> = {
  jwk: async (did) => {
    try {
      return { didDocument: didJwkDocument(did), didDocumentMetadata: {}, didResolutionMetadata: { contentType: 'application/did+json' } }
    } catch (e) {
      return { didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { error: 'invalidDid', message: (e as Error).message } }
    }
  },
}
