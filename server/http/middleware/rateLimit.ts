import type { Request } from 'express'
import type { AppDeps } from '../context.ts'
import { ProblemError } from '../problem.ts'

const WINDOW_MS = 60_000

async function hit(deps: AppDeps, key: string, limit: number): Promise<void> {
  const now = deps.now()
  const { count, resetAt } = await deps.store.rateLimits.hit(key, WINDOW_MS, now)
  if (count > limit) {
    const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000))
    throw new ProblemError('rate_limited', 429, { detail: 'Too many attempts; try again later.', headers: { 'Retry-After': String(retryAfter) }, extra: { retryAfter } })
  }
}

/** Per client IP (express `trust proxy` decides which address that is), counted in the store. */
export function rateLimitIp(deps: AppDeps, req: Request, bucket: string): Promise<void> {
  return hit(deps, `ip:${req.ip ?? 'unknown'}:${bucket}`, deps.config.rateLimitPerMinute)
}

/** Per account: guards one account from attempts spread over many addresses. */
export function rateLimitAccount(deps: AppDeps, accountId: string, bucket: string, limit: number): Promise<void> {
  return hit(deps, `acct:${accountId}:${bucket}`, limit)
}
