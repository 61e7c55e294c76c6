import { isObject } from '../encoding/index.ts'
import { CredentialError, fail } from '../errors.ts'
import { getStatus, StatusValue, type StatusList } from './statusList.ts'
import { verifyStatusListToken, type VerifyStatusListTokenOptions } from './token.ts'

/** A credential's `status.status_list` (§6.1): where its status is, and at which index. */
export interface StatusReference {
  idx: number
  uri: string
}

/**
 * Fetches a status list token (compact JWT) for a URI. Injected: credentials/ has no network of its own.
 * Trust caveat: the token is verified after fetching, so the fetcher needs no trust; it must not be the holder's.
 */
export type FetchStatusList = (uri: string) => Promise<string>

/** Reads `status.status_list` from a credential payload; absent is undefined, malformed is `status_invalid`. */
export function statusReferenceOf(payload: Record<string, unknown>): StatusReference | undefined {
  if (payload.status === undefined) return undefined
  const ref = isObject(payload.status) ? payload.status.status_list : undefined
  if (!isObject(ref) || typeof ref.uri !== 'string' || !Number.isSafeInteger(ref.idx) || (ref.idx as number) < 0) {
    fail('status_invalid', 'status.status_list needs idx and uri')
  }
  return { idx: ref.idx as number, uri: ref.uri }
}

/**
 * Verified status lists kept until their `ttl` (from when fetched), `exp` or freshness (`freshUntil`: a token fetched
 * when already old is not kept past the age verifyStatusListToken accepts) runs out, whichever is first; a token
 * with no `ttl` is kept at most `defaultMaxAgeSeconds`. Concurrent checks of one list share one fetch. At most `maxEntries`
 * lists are kept: a new one first drops the expired, then the oldest.
 */
export class StatusListCache {
  readonly #entries = new Map<string, { until: number; list: Promise<StatusList> }>()
  readonly #defaultMaxAgeMs: number
  readonly #maxEntries: number

  constructor(options: { defaultMaxAgeSeconds?: number; maxEntries?: number } = {}) {
    this.#defaultMaxAgeMs = (options.defaultMaxAgeSeconds ?? 300) * 1000
    this.#maxEntries = Math.max(1, options.maxEntries ?? 256)
  }

  /** How many lists are held (pending loads included). */
  get size(): number {
    return this.#entries.size
  }

  load(key: string, now: Date, fetchAndVerify: () => ReturnType<typeof verifyStatusListToken>): Promise<StatusList> {
    const at = now.getTime()
    const hit = this.#entries.get(key)
    if (hit && hit.until > at) return hit.list
    // Until the token is verified, concurrent checks share the pending load; then the entry expires on its own terms.
    this.#entries.delete(key)
    if (this.#entries.size >= this.#maxEntries) {
      for (const [k, e] of this.#entries) if (e.until <= at) this.#entries.delete(k)
      for (const k of this.#entries.keys()) {
        if (this.#entries.size < this.#maxEntries) break
        this.#entries.delete(k)
      }
    }
    const entry: { until: number; list: Promise<StatusList> } = { until: Number.POSITIVE_INFINITY, list: undefined as never }
    entry.list = fetchAndVerify().then((r) => {
      const ttlUntil = at + (r.ttl !== undefined ? r.ttl * 1000 : this.#defaultMaxAgeMs)
      entry.until = Math.min(ttlUntil, r.exp !== undefined ? r.exp * 1000 : Number.POSITIVE_INFINITY, r.freshUntil * 1000)
      return r.list
    }, (e: unknown) => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key)
      throw e
    })
    this.#entries.set(key, entry)
    return entry.list
  }
}

/** Options of checkStatus. */
export interface CheckStatusOptions extends Omit<VerifyStatusListTokenOptions, 'expectedUri'> {
  fetchStatusList: FetchStatusList
  /** Reuse verified lists across checks. */
  cache?: StatusListCache
  /** Separates cache entries of different issuers (the list is verified with that issuer's keys). */
  cacheKey?: string
}

/**
 * Looks up a credential's status (§8.3): fetches and verifies the list token, then reads the index. Returns
 * VALID (0); throws `credential_revoked` (1), `credential_suspended` (2), `status_invalid` for any other value,
 * `status_unavailable` when the fetch fails or the token is older than its `ttl` (`maxStatusAgeSeconds`),
 * `status_list_invalid` when the token does not verify. The fetcher needs no trust: an old token it hands back
 * (a cache that kept it past its `max-age`, or someone on the path) is refused by its `iat`.
 */
export async function checkStatus(reference: StatusReference, options: CheckStatusOptions): Promise<number> {
  const load = async () => {
    let token: string
    try {
      token = await options.fetchStatusList(reference.uri)
    } catch (cause) {
      fail('status_unavailable', reference.uri, { cause })
    }
    if (typeof token !== 'string') fail('status_unavailable', 'fetcher returned no token')
    return verifyStatusListToken(token, { ...options, expectedUri: reference.uri })
  }
  const list = options.cache
    ? await options.cache.load(`${options.cacheKey ?? ''}\n${reference.uri}`, options.now, load)
    : (await load()).list
  const status = getStatus(list, reference.idx)
  if (status === StatusValue.VALID) return status
  if (status === StatusValue.INVALID) throw new CredentialError('credential_revoked')
  if (status === StatusValue.SUSPENDED) throw new CredentialError('credential_suspended')
  fail('status_invalid', `status ${status}`)
}
