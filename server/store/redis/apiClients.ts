import { StoreConflictError } from '../errors.ts'
import type { ApiClientRecord, ApiClientStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { HSET_IF_ABSENT, lua, withOutbox } from './lua.ts'
import type { RunWithEvents } from './outbox.ts'
import { toHash, toText } from './reply.ts'
import { withReservations } from './reserve.ts'

/** Only an active client is revoked, so the first revocation time is the one kept. KEYS: client. ARGV: at. */
const REVOKE = withOutbox(lua(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'revokedAt') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'revokedAt', ARGV[1])
return 1`), 'r == 1')
const CREATE = withOutbox(HSET_IF_ABSENT, 'r == 1')

function clientFields(c: ApiClientRecord): string[] {
  const fields = ['id', c.id, 'name', c.name, 'roles', JSON.stringify(c.roles), 'keyHash', c.keyHash,
    'createdAt', String(c.createdAt)]
  // A null revokedAt is an absent field.
  if (c.revokedAt !== null) fields.push('revokedAt', String(c.revokedAt))
  return fields
}

function toRecord(h: Record<string, string>): ApiClientRecord | undefined {
  if (h.id === undefined) return undefined
  return { id: h.id, name: h.name!, roles: JSON.parse(h.roles!) as string[], keyHash: h.keyHash!,
    createdAt: Number(h.createdAt), revokedAt: h.revokedAt === undefined ? null : Number(h.revokedAt) }
}

export function redisApiClients(conn: RedisConn, keys: Keyspace, runWithEvents: RunWithEvents): ApiClientStore {
  const get = async (id: string) => {
    const key = keys.apiClient(id)
    return toRecord(toHash(await conn.call(key, ['HGETALL', key])))
  }
  return {
    async create(c, events) {
      await withReservations(conn, [{ key: keys.apiKeyHash(c.keyHash), value: c.id, field: 'id' }], async () => {
        // Listed before it exists, so a failure after this step leaves an id that list() skips, never a
        // client that list() misses. A taken id is a member already.
        await conn.call(keys.apiClientIds(), ['SADD', keys.apiClientIds(), c.id])
        if (await runWithEvents(CREATE, [keys.apiClient(c.id)], clientFields(c), events) !== 1) {
          throw new StoreConflictError('id')
        }
      }, async () => await conn.call(keys.apiClient(c.id), ['EXISTS', keys.apiClient(c.id)]) === 1)
    },
    get,
    async getByKeyHash(keyHash) {
      const key = keys.apiKeyHash(keyHash)
      const id = toText(await conn.call(key, ['GET', key]))
      const client = id === undefined ? undefined : await get(id)
      return client?.keyHash === keyHash ? client : undefined
    },
    async list() {
      const ids = await conn.call(keys.apiClientIds(), ['SMEMBERS', keys.apiClientIds()])
      const clients = await Promise.all((Array.isArray(ids) ? ids : []).map((id) => get(String(id))))
      return clients.filter((c) => c !== undefined)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
    },
    async revoke(id, at, events) {
      return await runWithEvents(REVOKE, [keys.apiClient(id)], [String(at)], events) === 1
    },
  }
}
