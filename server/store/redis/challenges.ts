import { StoreConflictError } from '../errors.ts'
import type { CeremonyRecord, ChallengeStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import { type Keyspace, keyExpiry } from './keys.ts'
import { toText } from './reply.ts'

export function redisChallenges(conn: RedisConn, keys: Keyspace): ChallengeStore {
  return {
    async put(c) {
      const key = keys.challenge(c.challenge)
      // JSON drops an absent userId or data, so the ceremony comes back without those keys.
      const value: CeremonyRecord = { challenge: c.challenge, kind: c.kind, userId: c.userId, data: c.data,
        expiresAt: c.expiresAt }
      const set = await conn.call(key, ['SET', key, JSON.stringify(value), 'NX', 'PXAT', keyExpiry(c.expiresAt)])
      if (set === null) throw new StoreConflictError('id')
    },
    async consume(challenge) {
      const key = keys.challenge(challenge)
      // GETDEL is one command, so of any number of instances only one gets the ceremony.
      const text = toText(await conn.call(key, ['GETDEL', key]))
      return text === undefined ? undefined : JSON.parse(text) as CeremonyRecord
    },
  }
}
