import { StoreConflictError } from '../errors.ts'
import type { UserRecord, UserStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { HSET_IF_EXISTS, lua, withOutbox } from './lua.ts'
import type { RunWithEvents } from './outbox.ts'
import { passkeyFields } from './passkeyFields.ts'
import { toHash, toText } from './reply.ts'
import { withReservations } from './reserve.ts'

/**
 * The user, its first passkey and the passkey set, or nothing: a taken user id is the only conflict left
 * once the handle and credential id are reserved. All three keys carry the account's hash tag.
 * KEYS: user, passkey, passkey set. ARGV: credential id, n, n user field/values, passkey field/values.
 */
const CREATE = withOutbox(lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 3, n + 2))
redis.call('HSET', KEYS[2], unpack(ARGV, n + 3))
redis.call('SADD', KEYS[3], ARGV[1])
return 1`), 'r == 1')
const SET_ROLES = withOutbox(HSET_IF_EXISTS, 'r == 1')

function userFields(u: UserRecord): string[] {
  return ['id', u.id, 'handle', u.handle, 'displayName', u.displayName, 'webauthnUserId', u.webauthnUserId,
    'roles', JSON.stringify(u.roles), 'createdAt', String(u.createdAt)]
}

function toRecord(h: Record<string, string>): UserRecord | undefined {
  if (h.id === undefined) return undefined
  return { id: h.id, handle: h.handle!, displayName: h.displayName!, webauthnUserId: h.webauthnUserId!,
    roles: JSON.parse(h.roles!) as string[], createdAt: Number(h.createdAt) }
}

export function redisUsers(conn: RedisConn, keys: Keyspace, runWithEvents: RunWithEvents): UserStore {
  const get = async (id: string) => {
    const key = keys.user(id)
    return toRecord(toHash(await conn.call(key, ['HGETALL', key])))
  }
  return {
    async createWithPasskey(user, passkey, events) {
      if (passkey.userId !== user.id) throw new Error('the first passkey must belong to the new user')
      // The handle and credential indexes live in their own slots: claim them first, release them on failure.
      const unique = [
        { key: keys.handle(user.handle), value: user.id, field: 'handle' as const },
        { key: keys.credential(passkey.id), value: user.id, field: 'credential' as const },
      ]
      await withReservations(conn, unique, async () => {
        const u = userFields(user)
        const created = await runWithEvents(CREATE,
          [keys.user(user.id), keys.passkey(user.id, passkey.id), keys.passkeys(user.id)],
          [passkey.id, String(u.length), ...u, ...passkeyFields(passkey)], events)
        if (created !== 1) throw new StoreConflictError('id')
      }, async () => await conn.call(keys.user(user.id), ['EXISTS', keys.user(user.id)]) === 1)
    },
    get,
    async getByHandle(handle) {
      const key = keys.handle(handle)
      const id = toText(await conn.call(key, ['GET', key]))
      const user = id === undefined ? undefined : await get(id)
      // A claim whose sign-up is still in flight (or failed mid-way) points to no user, or to another handle.
      return user?.handle === handle ? user : undefined
    },
    async setRoles(id, roles, events) {
      return await runWithEvents(SET_ROLES, [keys.user(id)], ['roles', JSON.stringify(roles)], events) === 1
    },
  }
}
