import { Resolver, type DIDDocument, type Resolvable, type VerificationMethod } from 'did-resolver'
import type { JWK } from 'jose'
import { fail } from '../errors.ts'
import { didJwkDriver } from './didJwk.ts'
import { didKeyDriver } from './didKey.ts'
import { didWebDriver, type DidWebFetch } from './didWeb.ts'

/** Options of createResolver. */
export interface CreateResolverOptions {
  /** Enables did:web over this fetch; without it only did:key and did:jwk resolve (fully offline). */
  fetch?: DidWebFetch
}

/** A did-resolver Resolver for did:key, did:jwk and (given a fetch) did:web. */
export function createResolver(options: CreateResolverOptions = {}): Resolver {
  return new Resolver({ ...didKeyDriver, ...didJwkDriver, ...(options.fetch ? didWebDriver({ fetch: options.fetch }) : {}) })
}

/** Options of resolveDidKey. */
export interface ResolveDidKeyOptions {
  /** The DID that must control the key (a credential's `iss`); a `kid` of another DID is `key_unknown`. */
  expectedController: string
  /** The verification relationship the key must be in (did-core §5.3); credentials need `assertionMethod`. */
  relationship?: 'assertionMethod' | 'authentication'
}

const refersTo = (entry: string | VerificationMethod, did: string, id: string): boolean => {
  const ref = typeof entry === 'string' ? entry : entry.id
  return ref === id || (ref.startsWith('#') && `${did}${ref}` === id)
}

/**
 * The public JWK of `kid` (a DID URL like `did:web:example.com#key-1`, or a bare `#key-1` relative to the
 * controller), resolved with `resolver` and required to be in the given relationship. Without a `kid`, the
 * controller's only key in that relationship. Only `publicKeyJwk` methods are understood.
 */
export async function resolveDidKey(resolver: Resolvable, kid: string | undefined, options: ResolveDidKeyOptions): Promise<JWK> {
  const did = options.expectedController
  if (!did.startsWith('did:')) fail('did_invalid', 'issuer is not a DID')
  const id = kid === undefined ? undefined : kid.startsWith('#') ? `${did}${kid}` : kid
  if (id !== undefined && (!id.startsWith(`${did}#`) || id.length === did.length + 1)) fail('key_unknown', 'kid is not a key of the issuer DID')
  let doc: DIDDocument | null
  try {
    const result = await resolver.resolve(did)
    if (result.didResolutionMetadata.error) fail('did_resolution_failed', `${result.didResolutionMetadata.error}: ${String(result.didResolutionMetadata.message ?? '')}`)
    doc = result.didDocument
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'did_resolution_failed') throw cause
    fail('did_resolution_failed', 'resolver threw', { cause })
  }
  if (!doc || doc.id !== did) fail('did_resolution_failed', 'DID document id does not match')
  const relationship = doc[options.relationship ?? 'assertionMethod'] ?? []
  const candidates = relationship.map((entry) => {
    if (typeof entry !== 'string') return entry
    return doc.verificationMethod?.find((vm) => refersTo(vm, did, entry.startsWith('#') ? `${did}${entry}` : entry))
  }).filter((vm): vm is VerificationMethod => vm !== undefined)
  const method = id === undefined
    ? (candidates.length === 1 ? candidates[0] : undefined)
    : candidates.find((vm) => refersTo(vm, did, id))
  if (!method) fail('key_unknown', id === undefined ? 'no kid and not exactly one key' : 'no such key in the relationship')
  if (!method.publicKeyJwk) fail('key_invalid', 'verification method has no publicKeyJwk')
  return method.publicKeyJwk as JWK
}
