import { isObject } from '../encoding/index.ts'
import { fail } from '../errors.ts'
import type { ClaimPath } from './claimPath.ts'
import type { Disclosure } from './disclosure.ts'

/** The processed payload (RFC 9901 §7.1 step 3) and where each disclosure landed. */
export interface Reconstructed {
  claims: Record<string, unknown>
  /** One entry per disclosure, in the order they were reached. */
  disclosed: { path: ClaimPath; disclosure: Disclosure }[]
}

// Defines an own property even for a name like `__proto__`, which plain assignment would turn into a prototype.
const setOwn = (obj: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Rebuilds the claims from the issuer-signed payload and the disclosures, strictly (RFC 9901 §7.1 steps 3-4):
 * a digest seen twice → `disclosure_duplicated`; a disclosure of the wrong kind for its place →
 * `disclosure_malformed`; a disclosed name already in the object → `disclosure_claim_conflict`; a disclosure
 * referenced nowhere (tampered, or from another credential) → `disclosure_unreferenced`. Digests without a
 * disclosure (decoys, undisclosed claims) are dropped. `_sd` and `_sd_alg` are removed.
 */
export function reconstruct(payload: Record<string, unknown>, disclosures: readonly Disclosure[]): Reconstructed {
  const byDigest = new Map<string, Disclosure>()
  for (const d of disclosures) {
    if (byDigest.has(d.digest)) fail('disclosure_duplicated', 'the same disclosure twice')
    byDigest.set(d.digest, d)
  }
  const seen = new Set<string>()
  const disclosed: Reconstructed['disclosed'] = []

  const reach = (digest: unknown): Disclosure | undefined => {
    if (typeof digest !== 'string') fail('credential_malformed', 'digest is not a string')
    if (seen.has(digest)) fail('disclosure_duplicated', 'a digest appears twice')
    seen.add(digest)
    return byDigest.get(digest)
  }

  const walk = (value: unknown, path: ClaimPath): unknown => {
    if (Array.isArray(value)) {
      const out: unknown[] = []
      for (const el of value) {
        if (isObject(el) && Object.hasOwn(el, '...')) {
          if (Object.keys(el).length !== 1) fail('credential_malformed', 'array digest object with other keys')
          const d = reach(el['...'])
          if (!d) continue
          if (d.name !== undefined) fail('disclosure_malformed', 'object-property disclosure referenced from an array')
          const at = [...path, out.length]
          disclosed.push({ path: at, disclosure: d })
          out.push(walk(d.value, at))
        } else {
          out.push(walk(el, [...path, out.length]))
        }
      }
      return out
    }
    if (!isObject(value)) return value
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      if (key === '_sd' || (key === '_sd_alg' && path.length === 0)) continue
      if (key === '...') fail('credential_malformed', '"..." outside an array element')
      setOwn(out, key, walk(value[key], [...path, key]))
    }
    const sd = value._sd
    if (sd !== undefined) {
      if (!Array.isArray(sd)) fail('credential_malformed', '_sd is not an array')
      for (const digest of sd) {
        const d = reach(digest)
        if (!d) continue
        if (d.name === undefined) fail('disclosure_malformed', 'array-element disclosure referenced from _sd')
        if (Object.hasOwn(out, d.name)) fail('disclosure_claim_conflict', d.name)
        const at = [...path, d.name]
        disclosed.push({ path: at, disclosure: d })
        setOwn(out, d.name, walk(d.value, at))
      }
    }
    return out
  }

  const claims = walk(payload, []) as Record<string, unknown>
  if (disclosed.length !== byDigest.size) fail('disclosure_unreferenced', 'a disclosure whose digest the issuer did not sign')
  return { claims, disclosed }
}
