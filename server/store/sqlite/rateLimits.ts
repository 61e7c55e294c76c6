import type { Database } from 'better-sqlite3'
import type { RateLimitStore } from '../ports.ts'

export function sqliteRateLimits(db: Database, gc: () => void): RateLimitStore {
  // One upsert: the increment and the read of the new count cannot interleave with another hit.
  const bump = db.prepare<[string, number, number], number>(`INSERT INTO rate_limits (key, window_start, count,
    reset_at) VALUES (?, ?, 1, ?) ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1
    RETURNING count`).pluck()
  return {
    async hit(key, windowMs, now) {
      gc()
      const windowStart = Math.floor(now / windowMs) * windowMs
      const resetAt = windowStart + windowMs
      return { count: bump.get(key, windowStart, resetAt)!, resetAt }
    },
  }
}
