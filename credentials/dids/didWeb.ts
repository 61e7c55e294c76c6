import type { DIDDocument, DIDResolver } from 'did-resolver'
import type { JWK } from 'jose'
import { fail } from '../errors.ts'
import { publicJwk } from '../keys/index.ts'
import { DID_CONTEXT } from './keyDocument.ts'

/**
 * The fetch a did:web resolver uses, injected (credentials/ never reaches the network by itself). The global
 * `fetch` fits. Trust caveat: whatever it returns is taken as the domain's DID document, so it must do real
 * HTTPS with certificate checks in production.
 */
export type DidWebFetch = (url: string) => Promise<{ status: number; json(): Promise<unknown> }>

/**
 * The did:web of an https URL (did:web spec §3.1): host, a port encoded as `%3A`, path segments joined by `:`.
 * `https://example.com` → `did:web:example.com`; `https://localhost:8443/issuers/1` →
 * `did:web:localhost%3A8443:issuers:1`.
 */
export function didWebFromUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    fail('did_invalid', 'not a URL')
  }
  if (u.protocol !== 'https:' || u.search || u.hash || u.username || u.password) fail('did_invalid', 'did:web needs a plain https URL')
  const segments = u.pathname.split('/').filter(Boolean).map(encodeURIComponent)
  return ['did:web', encodeURIComponent(u.host), ...segments].join(':')
}

/** The URL of a did:web's document (did:web spec §3.2): `/.well-known/did.json`, or `<path>/did.json`. */
export function didWebDocumentUrl(did: string): string {
  const parts = did.split(':')
  if (parts.length < 3 || parts[0] !== 'did' || parts[1] !== 'web' || parts.slice(2).some((p) => p === '')) fail('did_invalid', 'not a did:web')
  let host: string
  let path: string[]
  try {
    host = decodeURIComponent(parts[2]!)
    path = parts.slice(3).map(decodeURIComponent)
  } catch {
    fail('did_invalid', 'bad percent-encoding')
  }
  if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(host) || path.some((p) => p.includes('/') || p === '.' || p === '..')) {
    fail('did_invalid', 'did:web host or path not allowed')
  }
  return path.length === 0 ? `https://${host}/.well-known/did.json` : `https://${host}/${path.join('/')}/did.json`
}

/**
 * The did:web document Sigil publishes for its issuer keys: one JsonWebKey2020 method per key, `<did>#<kid>`, each
 * an assertionMethod (what credential signing needs, did-core §5.3.2). Every key must carry a `kid`.
 */
export function createDidWebDocument(did: string, keys: readonly JWK[]): DIDDocument {
  didWebDocumentUrl(did)
  const methods = keys.map((k) => {
    if (!k.kid) fail('key_invalid', 'issuer key without kid')
    const { kid: _kid, ...jwk } = publicJwk(k)
    return { id: `${did}#${k.kid}`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: jwk as never }
  })
  return { '@context': DID_CONTEXT, id: did, verificationMethod: methods, assertionMethod: methods.map((m) => m.id) }
}

/**
 * did-resolver driver for did:web over an injected fetch. Unlike web-did-resolver (which always uses its own
 * cross-fetch), it takes the fetch as an argument, and it refuses a document whose `id` is not the DID.
 */
export function didWebDriver(options: { fetch: DidWebFetch }): Record<'web', DIDResolver> {
  return {
    web: async (did) => {
      const notFound = (message: string) => ({ didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { error: 'notFound', message } })
      let url: string
      try {
        url = didWebDocumentUrl(did)
      } catch (e) {
        return { ...notFound((e as Error).message), didResolutionMetadata: { error: 'invalidDid', message: (e as Error).message } }
      }
      try {
        const res = await options.fetch(url)
        if (res.status !== 200) return notFound(`HTTP ${res.status} from ${url}`)
        const doc = await res.json() as DIDDocument
        if (typeof doc !== 'object' || doc === null || doc.id !== did) return notFound('DID document id does not match the DID')
        return { didDocument: doc, didDocumentMetadata: {}, didResolutionMetadata: { contentType: 'application/did+json' } }
      } catch (e) {
        return notFound(`fetching ${url} failed: ${(e as Error).message}`)
      }
    },
  }
}
