import type { RecoveryCodeStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { lua, withOutbox } from './lua.ts'
import type { RunWithEvents } from './outbox.ts'
import { toText } from './reply.ts'

/**
 * One script, so no moment exists where old and new codes are both valid, or neither set is.
 * KEYS: salt hash, unused set, used hash. ARGV: salt, createdAt, code hashes...
 */
const REPLACE = withOutbox(lua(`
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'salt', ARGV[1], 'createdAt', ARGV[2])
for i = 3, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return 1`), 'true')

/**
 * Test-and-set: SREM succeeds for only one of concurrent uses of a code; the use time is kept beside.
 * KEYS: unused set, used hash. ARGV: code hash, usedAt.
 */
const CONSUME = withOutbox(lua(`
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`), 'r == 1')

export function redisRecovery(conn: RedisConn, keys: Keyspace, runWithEvents: RunWithEvents): RecoveryCodeStore {
  return {
    async replace(userId, set, events) {
      await runWithEvents(REPLACE, [keys.recovery(userId), keys.recoveryUnused(userId), keys.recoveryUsed(userId)],
        [set.salt, String(set.createdAt), ...set.hashes], events)
    },
    async getSalt(userId) {
      const key = keys.recovery(userId)
      return toText(await conn.call(key, ['HGET', key, 'salt']))
    },
    async consume(userId, hash, usedAt, events) {
      return await runWithEvents(CONSUME, [keys.recoveryUnused(userId), keys.recoveryUsed(userId)],
        [hash, String(usedAt)], events) === 1
    },
    async remaining(userId) {
      const key = keys.recoveryUnused(userId)
      return Number(await conn.call(key, ['SCARD', key]))
    },
  }
}
