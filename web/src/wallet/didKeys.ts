import { createResolver, importPublicJwk, resolveDidKey, type SigningAlg } from '../../../credentials/index.ts'

/**
 * Public keys from did:web documents, for checking what issuers and verifiers sign (status lists, request objects).
 * A did:web always names an https URL (did:web §3.2). The document of this page's own host is read from this
 * page's origin, so a development server on http://localhost (which served this wallet) resolves too; any other
 * host is read over https as named, and needs CORS (the page's CSP allows only its own origin today).
 */
function fetchDidDocument(url: string): Promise<Response> {
  const u = new URL(url)
  const target = u.host === location.host ? `${location.origin}${u.pathname}` : url
  return fetch(target, { credentials: 'omit', headers: { Accept: 'application/did+json, application/json' } })
}

const resolver = createResolver({ fetch: fetchDidDocument })
const keys = new Map<string, Promise<CryptoKey>>()

/**
 * The key `kid` (a DID URL of `did`) for `alg`: it must be a verification method of that DID's document, in its
 * `assertionMethod` relationship, as Sigil publishes its keys. Resolved once per page; a failure is not kept.
 * Throws CredentialError: `did_invalid`, `did_resolution_failed`, `key_unknown`, `key_invalid`.
 */
export function didKey(did: string, kid: string | undefined, alg: SigningAlg): Promise<CryptoKey> {
  const id = `${did}\n${kid ?? ''}\n${alg}`
  let key = keys.get(id)
  if (!key) {
    key = resolveDidKey(resolver, kid, { expectedController: did }).then((jwk) => importPublicJwk(jwk, alg))
    key.catch(() => keys.delete(id))
    keys.set(id, key)
  }
  return key
}
