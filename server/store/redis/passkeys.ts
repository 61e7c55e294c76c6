import type { PasskeyRecord, PasskeyStore, PasskeyWithOwner, RemovePasskeyResult, UserStore } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { HSET_IF_EXISTS, lua, MEMBER_RECORDS, withOutbox } from './lua.ts'
import type { RunWithEvents } from './outbox.ts'
import { passkeyFields, toPasskeyRecord } from './passkeyFields.ts'
import { toHash, toText } from './reply.ts'
import { withReservations } from './reserve.ts'

/**
 * Adds a passkey to an existing account: -1 when the user does not exist (SQLite's foreign key).
 * KEYS: user, passkey, passkey set. ARGV: credential id, passkey field/values.
 */
const ADD = withOutbox(lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
redis.call('SADD', KEYS[3], ARGV[1])
return 1`), 'r == 1')
const RENAME = withOutbox(HSET_IF_EXISTS, 'r == 1')

/**
 * Compare-and-set: two logins that read the same counter cannot both advance it (WebAuthn §6.1.1). A
 * missing passkey has no counter, so it never matches. KEYS: passkey. ARGV: expected, counter, backedUp, at.
 */
const RECORD_USE = lua(`
if redis.call('HGET', KEYS[1], 'counter') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'counter', ARGV[2], 'backedUp', ARGV[3], 'lastUsedAt', ARGV[4])
return 1`)

/**
 * The membership check, the count and the removal in one script, so two removals cannot both see "two
 * left". Keys are the account's own, so another user's passkey is simply not found.
 * KEYS: passkey set, passkey. ARGV: credential id.
 */
const REMOVE_KEEPING_ONE = withOutbox(lua(`
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 'not_found' end
if redis.call('SCARD', KEYS[1]) <= 1 then return 'last_passkey' end
if ARGV[2] == 'keep' then
  local kept = false
  for i = 3, #ARGV do
    if ARGV[i] ~= ARGV[1] and redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 1 then kept = true break end
  end
  if not kept then return 'last_passkey' end
end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 'removed'`), "r == 'removed'")

const byCreated = (a: PasskeyRecord, b: PasskeyRecord) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)

/** Credential ids whose owner this instance remembers, at most (about 150 bytes each). */
const MAX_REMEMBERED_OWNERS = 100_000

export function redisPasskeys(conn: RedisConn, keys: Keyspace, runWithEvents: RunWithEvents, users: Pick<UserStore, 'get'>): PasskeyStore {
  /** Credential id → owner, as last read; a stale entry is found out by its missing record and dropped. */
  const owners = new Map<string, string>()
  /** The owner of a credential id, from the index that also makes ids unique. */
  const ownerOf = async (id: string) => {
    const key = keys.credential(id)
    return toText(await conn.call(key, ['GET', key]))
  }
  /**
   * The passkey (and, with `withOwner`, its account). A remembered owner saves the index lookup (a sign-in's first
   * read) and lets the account be read beside the passkey. The record itself is the proof: if the passkey is gone
   * from that account (removed, or ever registered anew elsewhere), the index decides.
   */
  const find = async (id: string, withOwner: boolean): Promise<PasskeyWithOwner | undefined> => {
    const read = async (userId: string) => {
      const key = keys.passkey(userId, id)
      return toPasskeyRecord(toHash(await conn.call(key, ['HGETALL', key])))
    }
    const remembered = owners.get(id)
    if (remembered !== undefined) {
      const [passkey, user] = await Promise.all([read(remembered), withOwner ? users.get(remembered) : undefined])
      if (passkey) return { passkey, user }
      owners.delete(id)
    }
    const userId = await ownerOf(id)
    if (userId === undefined) return undefined
    const [passkey, user] = await Promise.all([read(userId), withOwner ? users.get(userId) : undefined])
    if (!passkey) return undefined
    if (owners.size >= MAX_REMEMBERED_OWNERS) owners.clear()
    owners.set(id, userId)
    return { passkey, user }
  }
  return {
    async add(p, events) {
      const unique = [{ key: keys.credential(p.id), value: p.userId, field: 'credential' as const }]
      await withReservations(conn, unique, async () => {
        const added = await runWithEvents(ADD, [keys.user(p.userId), keys.passkey(p.userId, p.id), keys.passkeys(p.userId)],
          [p.id, ...passkeyFields(p)], events)
        if (added !== 1) throw new Error(`no user ${p.userId} to add the passkey to`)
      }, async () => await conn.call(keys.passkey(p.userId, p.id), ['EXISTS', keys.passkey(p.userId, p.id)]) === 1)
    },
    async get(id) {
      return (await find(id, false))?.passkey
    },
    async getWithOwner(id) {
      return find(id, true)
    },
    async listByUser(userId) {
      const rows = await conn.run(MEMBER_RECORDS, [keys.passkeys(userId)], [keys.passkeyPrefix(userId)])
      return (Array.isArray(rows) ? rows : []).map((r) => toPasskeyRecord(toHash(r))!).sort(byCreated)
    },
    async recordUse(id, u) {
      const userId = u.userId ?? await ownerOf(id)
      if (userId === undefined) return false
      return await conn.run(RECORD_USE, [keys.passkey(userId, id)],
        [String(u.expectedCounter), String(u.counter), u.backedUp ? '1' : '0', String(u.lastUsedAt)]) === 1
    },
    async rename(userId, id, name, events) {
      // The key is under the caller's account, so renaming another user's passkey finds nothing.
      return await runWithEvents(RENAME, [keys.passkey(userId, id)], ['name', name], events) === 1
    },
    async removeKeepingOne(userId, id, events, keep) {
      const result = await runWithEvents(REMOVE_KEEPING_ONE, [keys.passkeys(userId), keys.passkey(userId, id)],
        keep ? [id, 'keep', ...keep] : [id], events)
      // The index is in another slot; until this DEL lands, get(id) finds the owner but no record.
      if (result === 'removed') await conn.call(keys.credential(id), ['DEL', keys.credential(id)])
      return result as RemovePasskeyResult
    },
  }
}
