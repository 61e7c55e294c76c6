import { StoreConflictError } from '../errors.ts'
import type { CeremonyRecord, ChallengeStore, RateLimitStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import { type Keyspace, keyExpiry } from './keys.ts'
import { toText } from './reply.ts'

export function redisChallenges(conn: RedisConn, keys: Keyspace, limits: RateLimitStore): ChallengeStore {
  const put = async (c: CeremonyRecord): Promise<void> => {
    const key = keys.challenge(c.challenge)
    // JSON drops an absent userId or data, so the ceremony comes back without those keys.
    const value: CeremonyRecord = { challenge: c.challenge, kind: c.kind, userId: c.userId, data: c.data,
      expiresAt: c.expiresAt }
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
