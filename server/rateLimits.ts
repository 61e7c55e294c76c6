import type { AppDeps } from './deps.ts'
import { ProblemError } from './errors.ts'

const WINDOW_MS = 60_000

/** Counts one hit for `key` in the current minute (in the store, so it holds across instances). */
export async function hitLimit(deps: AppDeps, key: string, limit: number): Promise<void> {
  const now = deps.now()
  const { count, resetAt } = await deps.store.rateLimits.hit(key, WINDOW_MS, now)
  if (count > limit) {
    const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000))
    throw new ProblemError('rate_limited', 429, { detail: 'Too many attempts; try again later.', headers: { 'Retry-After': String(retryAfter) }, extra: { retryAfter } })
  }
}
