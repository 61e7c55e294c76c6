import type { JWK } from 'jose'
import { fail } from '../errors.ts'
import { algOfJwk, importParams, publicJwk, type SigningAlg } from './algorithms.ts'

/** Imports a public JWK for verifying `alg`; a key of another type, or one Web Crypto refuses, is `key_invalid`. */
export async function importPublicJwk(jwk: JWK, alg: SigningAlg): Promise<CryptoKey> {
  if (algOfJwk(jwk) !== alg) fail('key_invalid', `key does not fit ${alg}`)
  if (jwk.d !== undefined) fail('key_invalid', 'a private key where a public key belongs')
  const { kid: _kid, ...pub } = publicJwk(jwk)
  try {
    return await globalThis.crypto.subtle.importKey('jwk', pub as JsonWebKey, importParams(alg), false, ['verify'])
  } catch (cause) {
    fail('key_invalid', 'public key rejected by Web Crypto', { cause })
  }
}

/** Imports a private JWK (with `d`) for signing. */
export async function importPrivateJwk(jwk: JWK): Promise<{ key: CryptoKey; alg: SigningAlg }> {
  const alg = algOfJwk(jwk)
  if (typeof jwk.d !== 'string') fail('key_invalid', 'private key has no d')
  const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, ...material } = jwk
  try {
    return { key: await globalThis.crypto.subtle.importKey('jwk', material as JsonWebKey, importParams(alg), false, ['sign']), alg }
  } catch (cause) {
    fail('key_invalid', 'private key rejected by Web Crypto', { cause })
  }
}

/**
 * Imports each public key once. Keyed by the key material, so the same JWK under another `kid` reuses the import.
 * Bounded: past `max` entries the oldest is dropped (holder keys arrive with every presentation).
 */
export class PublicKeyCache {
  readonly #keys = new Map<string, Promise<CryptoKey>>()
  readonly #max: number

  constructor(max = 10_000) {
    this.#max = max
  }

  get(jwk: JWK, alg: SigningAlg): Promise<CryptoKey> {
    const id = `${alg}|${String(jwk.crv)}|${String(jwk.x)}|${String(jwk.y)}`
    let key = this.#keys.get(id)
    if (!key) {
      key = importPublicJwk(jwk, alg)
      key.catch(() => this.#keys.delete(id))
      if (this.#keys.size >= this.#max) this.#keys.delete(this.#keys.keys().next().value!)
      this.#keys.set(id, key)
    }
    return key
  }
}
