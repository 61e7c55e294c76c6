import { randomInt } from 'node:crypto'
import { createStatusList, createStatusListToken, setStatus, StatusValue } from '../../credentials/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import type { KycCredentialStatus, Store } from '../store/index.ts'
import { issuerIdentity } from './issuer.ts'
import { sha256 } from './seal.ts'

/**
 * Every list has 2^17 two-bit entries (32 KiB before compression), whatever the number of credentials on it, so
 * its size says nothing about how many were issued. Indexes are random; a list takes new credentials until half
 * its entries are used (a random pick then collides at most half the time), after which the next list opens.
 */
export const STATUS_LIST_SIZE = 1 << 17
export const STATUS_LIST_BITS = 2
const LIST_FULL_AT = STATUS_LIST_SIZE / 2
/** How long relying parties may cache a list (`ttl`, Cache-Control max-age): the revocation delay. */
export const STATUS_LIST_TTL_SECONDS = 60
const STATUS_LIST_VALIDITY_SECONDS = 24 * 3600

const VALUES: Record<KycCredentialStatus, number> = { valid: StatusValue.VALID, revoked: StatusValue.INVALID, suspended: StatusValue.SUSPENDED }

const openLists = new WeakMap<Store, number>()

export const statusListUri = (deps: AppDeps, listId: string): string => `${deps.config.publicUrl}/status-lists/${listId}`

/** A random entry on the open list. The store's atomic claim decides whether it is free (createCredential). */
export async function pickStatusEntry(deps: AppDeps): Promise<{ listId: string; index: number }> {
  let n = openLists.get(deps.store) ?? 1
  while (await deps.store.kyc.statusListUsage(String(n)) >= LIST_FULL_AT) n++
  openLists.set(deps.store, n)
  return { listId: String(n), index: randomInt(STATUS_LIST_SIZE) }
}

interface SignedList {
  content: string
  token: string
  etag: string
  signedAt: number
}

/** The token last signed for each list, per app: a conditional request's ETag must name the exact bytes served. */
const signedLists = new WeakMap<AppDeps, Map<string, SignedList>>()

/**
 * The signed status list token (draft-ietf-oauth-status-list §5) of one list, and an ETag over the token itself.
 * The token is kept while the list's content (its entries, the signing key, issuer and URI) stays the same, and
 * signed again when the content changes or half its `ttl` has passed: verifiers refuse a token older than its
 * `ttl` (a stale copy could hide a revocation), so one is never served older than half of it, and `maxAgeSeconds`
 * (for Cache-Control) is what is left of the `ttl`. A cache that revalidates with If-None-Match gets 304 only while
 * its copy is that same token. Each instance keeps its own; another instance's ETag only costs a full answer.
 */
export async function statusListToken(deps: AppDeps, listId: string): Promise<{ token: string; etag: string; maxAgeSeconds: number }> {
  const entries = await deps.store.kyc.statusEntries(listId)
  if (listId !== '1' && entries.length === 0 && await deps.store.kyc.statusListUsage(listId) === 0) {
    throw new ProblemError('status_list_not_found', 404, { field: 'id' })
  }
  const issuer = issuerIdentity(deps)
  const uri = statusListUri(deps, listId)
  entries.sort((a, b) => a.index - b.index)
  const content = sha256(`${issuer.signer.kid}\n${issuer.did}\n${uri}\n${entries.map((e) => `${e.index}:${e.status}`).join(',')}`)
  const now = deps.now()
  let signed = signedLists.get(deps)
  if (!signed) signedLists.set(deps, signed = new Map())
  const kept = signed.get(listId)
  const maxAge = (signedAt: number): number => Math.max(0, STATUS_LIST_TTL_SECONDS - Math.ceil((now - signedAt) / 1000))
  if (kept && kept.content === content && now >= kept.signedAt && now - kept.signedAt < STATUS_LIST_TTL_SECONDS * 1000 / 2) {
    return { token: kept.token, etag: kept.etag, maxAgeSeconds: maxAge(kept.signedAt) }
  }
  const list = createStatusList(STATUS_LIST_SIZE, STATUS_LIST_BITS)
  for (const e of entries) setStatus(list, e.index, VALUES[e.status])
  const token = await createStatusListToken({
    signer: issuer.signer, uri, issuer: issuer.did, list, now: new Date(now),
    ttlSeconds: STATUS_LIST_TTL_SECONDS, validitySeconds: STATUS_LIST_VALIDITY_SECONDS,
  })
  const fresh = { content, token, etag: `"${sha256(token)}"`, signedAt: now }
  signed.set(listId, fresh)
  return { token: fresh.token, etag: fresh.etag, maxAgeSeconds: maxAge(now) }
}
