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

/**
 * Finds and imports a trusted issuer's verification key for a JWS `kid`: from the entry's pinned keys, else, for
 * a DID issuer, by resolving its DID (the key must be an assertionMethod of that DID). Each (issuer, kid, alg)
 * is resolved and imported once per instance; make a new instance to pick up rotated DID documents.
 */
export class IssuerKeys {
  readonly #resolver: Resolvable | undefined
  readonly #imports = new PublicKeyCache()
  readonly #keys = new Map<string, Promise<CryptoKey>>()

  constructor(resolver?: Resolvable) {
    this.#resolver = resolver
  }

  get(entry: TrustedIssuer, kid: string | undefined, alg: SigningAlg): Promise<CryptoKey> {
    const id = `${entry.issuer}\n${kid ?? ''}\n${alg}`
    let key = this.#keys.get(id)
    if (!key) {
      key = this.#load(entry, kid, alg)
      key.catch(() => this.#keys.delete(id))
      this.#keys.set(id, key)
    }
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
