import type { RateLimitStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import { type Keyspace, keyExpiry } from './keys.ts'
import { lua } from './lua.ts'

/** The increment and the expiry of a new window in one step. KEYS: window counter. ARGV: PEXPIREAT. */
const HIT = lua(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return n`)

export function redisRateLimits(conn: RedisConn, keys: Keyspace): RateLimitStore {
  return {
    async hit(key, windowMs, now) {
      const windowStart = Math.floor(now / windowMs) * windowMs
      const resetAt = windowStart + windowMs
      const count = await conn.run(HIT, [keys.rateLimit(key, windowStart)], [keyExpiry(resetAt)])
      return { count: Number(count), resetAt }
    },
  }
}
