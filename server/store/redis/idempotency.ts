import type { IdempotencyStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import { type Keyspace, keyExpiry } from './keys.ts'
import { HSET_IF_EXISTS, lua } from './lua.ts'

/**
 * The expiry check (by the caller's clock: a claim lasts until `now` passes expiresAt), the claim and the
 * read of an existing claim in one step; a pending claim made at or before the lease cut-off, with the same
 * fingerprint, is taken over. Returns 'new' or [fingerprint, status, contentType, body], whose last three are nil
 * while the claim is pending.
 * KEYS: record. ARGV: now, fingerprint, expiresAt, PEXPIREAT, lease cut-off ('' for none).
 */
const BEGIN = lua(`
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
if exp and tonumber(exp) < tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  exp = false
end
if exp then
  local r = redis.call('HMGET', KEYS[1], 'fingerprint', 'status', 'contentType', 'body', 'claimedAt')
  -- A pending claim made before claims had a time (an older instance, mid-request perhaps) gets one now: its lease
  -- runs from here, rather than counting as lapsed.
  if not r[2] and not r[5] then
    redis.call('HSET', KEYS[1], 'claimedAt', ARGV[1])
    r[5] = ARGV[1]
  end
  if ARGV[5] ~= '' and not r[2] and r[1] == ARGV[2] and tonumber(r[5]) <= tonumber(ARGV[5]) then
    redis.call('HSET', KEYS[1], 'claimedAt', ARGV[1])
    return 'new'
  end
  return { r[1], r[2], r[3], r[4] }
end
redis.call('HSET', KEYS[1], 'fingerprint', ARGV[2], 'expiresAt', ARGV[3], 'claimedAt', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 'new'`)

export function redisIdempotency(conn: RedisConn, keys: Keyspace): IdempotencyStore {
  return {
    async begin(key, fingerprint, now, ttlMs, leaseMs) {
      const expiresAt = now + ttlMs
      const r = await conn.run(BEGIN, [keys.idempotency(key)],
        [String(now), fingerprint, String(expiresAt), keyExpiry(expiresAt), leaseMs === undefined ? '' : String(now - leaseMs)])
      if (!Array.isArray(r)) return { state: 'new' }
      const [claimer, status, contentType, body] = r.map((v) => (v === null ? undefined : String(v)))
      if (status === undefined) return { state: 'pending', fingerprint: claimer! }
      return { state: 'done', fingerprint: claimer!,
        response: { status: Number(status), contentType: contentType ?? '', body: body ?? '' } }
    },
    async complete(key, r) {
      // Keeps the claim's TTL; completing an unknown or expired key does nothing.
      await conn.run(HSET_IF_EXISTS, [keys.idempotency(key)],
        ['status', String(r.status), 'contentType', r.contentType, 'body', r.body])
    },
    async abandon(key) {
      await conn.call(keys.idempotency(key), ['DEL', keys.idempotency(key)])
    },
  }
}
