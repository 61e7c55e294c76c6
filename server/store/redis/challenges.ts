import { StoreConflictError } from '../errors.ts'
import type { CeremonyRecord, ChallengeStore, OutboxEvent, RateLimitStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import { type Keyspace, keyExpiry } from './keys.ts'
import { lua, withOutbox } from './lua.ts'
import type { RunWithEvents } from './outbox.ts'
import { toText } from './reply.ts'

/** SET NX PXAT and the events, in one script; 1 if the key was set. KEYS: challenge. ARGV: value, expiry. */
const PUT = withOutbox(lua(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PXAT', ARGV[2]) then return 1 end
return 0`), 'r == 1')

export function redisChallenges(conn: RedisConn, keys: Keyspace, limits: RateLimitStore, runWithEvents: RunWithEvents): ChallengeStore {
  const put = async (c: CeremonyRecord, events?: OutboxEvent[]): Promise<void> => {
    const key = keys.challenge(c.challenge)
    // JSON drops an absent userId or data, so the ceremony comes back without those keys.
    const value: CeremonyRecord = { challenge: c.challenge, kind: c.kind, userId: c.userId, data: c.data,
      expiresAt: c.expiresAt }
    if (events?.length) {
      // A presentation's result and its event: both or neither (the stream shares the challenge's slot).
      if (await runWithEvents(PUT, [key], [JSON.stringify(value), keyExpiry(c.expiresAt)], events) !== 1) throw new StoreConflictError('id')
      return
    }
    const set = await conn.call(key, ['SET', key, JSON.stringify(value), 'NX', 'PXAT', keyExpiry(c.expiresAt)])
    if (set === null) throw new StoreConflictError('id')
  }
  return {
    put,
    async putCounted(c, { key, windowMs, now, max }) {
      // Two commands (the counter and the challenge live in different cluster slots), the put only if allowed.
      const hit = await limits.hit(key, windowMs, now)
      if (hit.count <= max) await put(c)
      return hit
    },
    async consume(challenge) {
      const key = keys.challenge(challenge)
      // GETDEL is one command, so of any number of instances only one gets the ceremony.
      const text = toText(await conn.call(key, ['GETDEL', key]))
      return text === undefined ? undefined : JSON.parse(text) as CeremonyRecord
    },
  }
}
