import { createHash } from 'node:crypto'
import type { AppDeps } from './deps.ts'
import { ProblemError } from './errors.ts'
import type { CeremonyRecord, RateLimitHit } from './store/index.ts'

const WINDOW_MS = 60_000

/**
 * What the store keeps for a limit's key: a hash, since keys name client addresses, typed handles (also of accounts
 * that do not exist) and user ids. A pseudonym, not anonymity (an IPv4 address can be found again by trying them
 * all), but no address or typed name sits readable in a table or a Redis key.
 */
export const storedLimitKey = (key: string): string =>
  `rl:${createHash('sha256').update(`sigil-rate-limit\n${key}`).digest('base64url').slice(0, 32)}`

/** Counts one hit for `key` in the current minute (in the store, so it holds across instances). */
export async function hitLimit(deps: AppDeps, key: string, limit: number): Promise<void> {
  const now = deps.now()
  const hit = await deps.store.rateLimits.hit(storedLimitKey(key), WINDOW_MS, now)
  if (hit.count > limit) throw limited(hit, now)
}

/**
 * A per-minute limit that the handler counts itself, in the store call that does the limited work (a ceremony's
 * challenge: ChallengeStore.putCounted), one round trip instead of two. `counted` is set once it was: the route
 * layer checks, so a handler that forgot cannot go unlimited.
 */
export interface CountedClientLimit { key: string; max: number; counted: boolean }

/** Stores the ceremony if `limit` allows one more this minute; otherwise stores nothing and throws 429. */
export async function putChallengeCounted(deps: AppDeps, ceremony: CeremonyRecord, limit: CountedClientLimit): Promise<void> {
  const now = deps.now()
  const hit = await deps.store.challenges.putCounted(ceremony, { key: storedLimitKey(limit.key), windowMs: WINDOW_MS, now, max: limit.max })
  limit.counted = true
  if (hit.count > limit.max) throw limited(hit, now)
}

function limited({ resetAt }: RateLimitHit, now: number): ProblemError {
  const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000))
  return new ProblemError('rate_limited', 429, { detail: 'Too many attempts; try again later.', headers: { 'Retry-After': String(retryAfter) }, extra: { retryAfter } })
}
