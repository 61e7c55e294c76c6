import type { Resolvable } from 'did-resolver'
import type { JWK } from 'jose'
import { resolveDidKey } from '../dids/index.ts'
import { fail } from '../errors.ts'
import { PublicKeyCache, type SigningAlg } from '../keys/index.ts'
import type { TrustedIssuer } from './trustedIssuers.ts'

const pinnedKey = (entry: TrustedIssuer, kid: string | undefined): JWK => {
  const keys = entry.keys ?? []
  if (kid === undefined) {
    if (keys.length !== 1) fail('key_unknown', 'no kid, and the issuer has not exactly one key')
    return keys[0]!
  }
  const key = keys.find((k) => k.kid !== undefined && (kid === k.kid || kid === `${entry.issuer}#${k.kid}` || kid === `#${k.kid}`))
  if (!key) fail('key_unknown', kid)
  return key
}

/** How long a key found by resolving an issuer's DID is trusted before the DID is resolved again, by default. */
export const DEFAULT_KEY_CACHE_SECONDS = 300

/**
 * Finds and imports a trusted issuer's verification key for a JWS `kid`: from the entry's pinned keys, else, for
 * a DID issuer, by resolving its DID (the key must be an assertionMethod of that DID). Pinned keys are looked up
 * in the entry at every call (so a key taken out of the list is refused at once; imports are cached by key
 * content). A resolved key is kept for `keyCacheSeconds` (default 300): an issuer that takes a compromised key out
 * of its DID document is heard within that time, not at the verifier's next restart.
 */
export class IssuerKeys {
  readonly #resolver: Resolvable | undefined
  readonly #imports = new PublicKeyCache()
  readonly #keys = new Map<string, { key: Promise<CryptoKey>; until: number }>()
  readonly #ttlMs: number
  readonly #clock: () => number

  constructor(resolver?: Resolvable, opts: { keyCacheSeconds?: number; clock?: () => number } = {}) {
    this.#resolver = resolver
    this.#ttlMs = (opts.keyCacheSeconds ?? DEFAULT_KEY_CACHE_SECONDS) * 1000
    this.#clock = opts.clock ?? Date.now
  }

  get(entry: TrustedIssuer, kid: string | undefined, alg: SigningAlg): Promise<CryptoKey> {
    if (entry.keys !== undefined) return this.#load(entry, kid, alg)
    const id = `${entry.issuer}\n${kid ?? ''}\n${alg}`
    const now = this.#clock()
    const hit = this.#keys.get(id)
    if (hit && hit.until > now) return hit.key
    const key = this.#load(entry, kid, alg)
    key.catch(() => this.#keys.delete(id))
    this.#keys.set(id, { key, until: now + this.#ttlMs })
    if (this.#keys.size > 10_000) this.#keys.delete(this.#keys.keys().next().value!)
    return key
  }

  async #load(entry: TrustedIssuer, kid: string | undefined, alg: SigningAlg): Promise<CryptoKey> {
    let jwk: JWK
    if (entry.keys !== undefined) jwk = pinnedKey(entry, kid)
    else if (!entry.issuer.startsWith('did:')) fail('key_unknown', 'https issuer without pinned keys')
    else if (!this.#resolver) fail('key_unknown', 'DID issuer without pinned keys and no resolver given')
    else jwk = await resolveDidKey(this.#resolver, kid, { expectedController: entry.issuer })
    if (jwk.alg !== undefined && jwk.alg !== alg) fail('key_invalid', `key is for ${jwk.alg}, JWS says ${alg}`)
    return this.#imports.get(jwk, alg)
  }
}
