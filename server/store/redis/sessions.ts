import type { SessionKind, SessionRecord, SessionStore, UserRecord } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import { type Keyspace, keyExpiry } from './keys.ts'
import { HSET_IF_EXISTS, lua, MEMBER_RECORDS, withOutbox } from './lua.ts'
import type { RunWithEvents } from './outbox.ts'
import { toHash, toText } from './reply.ts'
import { withReservations } from './reserve.ts'

// A session lives under its account's hash tag, beside the account's session set, so that "log out
// everywhere" is one script. Two global indexes, idHash → user id and ref → idHash, make both unique.

/**
 * The record, its TTL and its set membership; the set lives as long as its longest session.
 * KEYS: session, session set. ARGV: idHash, PEXPIREAT, field/values.
 */
const CREATE = withOutbox(lua(`
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('PEXPIRETIME', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIREAT', KEYS[2], ARGV[2]) end
return 1`), 'true')

/**
 * Deletes the session, if it exists and (when ARGV[2] is given) has that ref; returns its ref or nil.
 * KEYS: session, session set. ARGV: idHash, [ref].
 */
const DELETE = lua(`
local ref = redis.call('HGET', KEYS[1], 'ref')
if not ref or (ARGV[2] and ref ~= ARGV[2]) then return false end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return ref`)
const DELETE_WITH_EVENTS = withOutbox(DELETE, 'r')

/**
 * Deletes every session in the set but ARGV[2]; returns idHash, ref pairs of those that still existed.
 * KEYS: session set. ARGV: session key prefix, [except idHash].
 */
const DELETE_ALL = withOutbox(lua(`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] then
    local ref = redis.call('HGET', ARGV[1] .. id, 'ref')
    redis.call('DEL', ARGV[1] .. id)
    redis.call('SREM', KEYS[1], id)
    if ref then out[#out + 1] = id; out[#out + 1] = ref end
  end
end
return out`), 'true')

function sessionFields(s: SessionRecord): string[] {
  return ['idHash', s.idHash, 'ref', s.ref, 'userId', s.userId, 'kind', s.kind, 'createdAt', String(s.createdAt),
    'lastSeenAt', String(s.lastSeenAt), 'verifiedAt', String(s.verifiedAt), 'passkeyId', s.passkeyId,
    'absoluteExpiresAt', String(s.absoluteExpiresAt), 'userAgent', s.userAgent]
}

function toRecord(h: Record<string, string>): SessionRecord | undefined {
  if (h.idHash === undefined) return undefined
  return { idHash: h.idHash, ref: h.ref!, userId: h.userId!, kind: h.kind as SessionKind,
    createdAt: Number(h.createdAt), lastSeenAt: Number(h.lastSeenAt), verifiedAt: Number(h.verifiedAt),
    passkeyId: h.passkeyId ?? '', absoluteExpiresAt: Number(h.absoluteExpiresAt), userAgent: h.userAgent! }
}

const byCreated = (a: SessionRecord, b: SessionRecord) => a.createdAt - b.createdAt || (a.idHash < b.idHash ? -1 : 1)

export function redisSessions(conn: RedisConn, keys: Keyspace, runWithEvents: RunWithEvents, getUser: (id: string) => Promise<UserRecord | undefined>): SessionStore {
  const ownerOf = async (idHash: string) => {
    const key = keys.sessionId(idHash)
    return toText(await conn.call(key, ['GET', key]))
  }
  const dropIndexes = (pairs: string[]) => Promise.all(pairs.map((v, i) => {
    const key = i % 2 === 0 ? keys.sessionId(v) : keys.sessionRef(v)
    return conn.call(key, ['DEL', key])
  }))
  return {
    async create(s, events) {
      const expiresAt = keyExpiry(s.absoluteExpiresAt)
      await withReservations(conn, [
        { key: keys.sessionRef(s.ref), value: s.idHash, field: 'id', expiresAt },
        { key: keys.sessionId(s.idHash), value: s.userId, field: 'id', expiresAt },
      ], () => runWithEvents(CREATE, [keys.session(s.userId, s.idHash), keys.sessions(s.userId)],
        [s.idHash, expiresAt, ...sessionFields(s)], events),
      async () => await conn.call(keys.session(s.userId, s.idHash), ['EXISTS', keys.session(s.userId, s.idHash)]) === 1)
    },
    async get(idHash) {
      const userId = await ownerOf(idHash)
      if (userId === undefined) return undefined
      const key = keys.session(userId, idHash)
      return toRecord(toHash(await conn.call(key, ['HGETALL', key])))
    },
    async getWithUser(idHash) {
      const userId = await ownerOf(idHash)
      if (userId === undefined) return undefined
      const key = keys.session(userId, idHash)
      // The index names the owner, so the session and the user are read side by side (two round trips, not three).
      const [h, user] = await Promise.all([conn.call(key, ['HGETALL', key]), getUser(userId)])
      const session = toRecord(toHash(h))
      return session && { session, user: user?.id === session.userId ? user : undefined }
    },
    async update(idHash, p) {
      const userId = await ownerOf(idHash)
      if (userId === undefined) return false
      const fields: string[] = []
      if (p.lastSeenAt !== undefined) fields.push('lastSeenAt', String(p.lastSeenAt))
      if (p.verifiedAt !== undefined) fields.push('verifiedAt', String(p.verifiedAt))
      if (p.passkeyId !== undefined) fields.push('passkeyId', p.passkeyId)
      return await conn.run(HSET_IF_EXISTS, [keys.session(userId, idHash)], fields) === 1
    },
    async delete(idHash) {
      const userId = await ownerOf(idHash)
      if (userId === undefined) return false
      const ref = toText(await conn.run(DELETE, [keys.session(userId, idHash), keys.sessions(userId)], [idHash]))
      if (ref === undefined) return false
      await dropIndexes([idHash, ref])
      return true
    },
    async deleteByRef(userId, ref, events) {
      const key = keys.sessionRef(ref)
      const idHash = toText(await conn.call(key, ['GET', key]))
      if (idHash === undefined) return false
      // Run under the caller's account: another user's session is not found there.
      const deleted = await runWithEvents(DELETE_WITH_EVENTS, [keys.session(userId, idHash), keys.sessions(userId)], [idHash, ref], events)
      if (deleted === null) return false
      await dropIndexes([idHash, ref])
      return true
    },
    async deleteAllForUser(userId, exceptIdHash, events) {
      const args = [keys.sessionPrefix(userId)]
      if (exceptIdHash !== undefined) args.push(exceptIdHash)
      const deleted = await runWithEvents(DELETE_ALL, [keys.sessions(userId)], args, events)
      const pairs = Array.isArray(deleted) ? deleted.map(String) : []
      await dropIndexes(pairs)
      return pairs.length / 2
    },
    async listByUser(userId) {
      const rows = await conn.run(MEMBER_RECORDS, [keys.sessions(userId)], [keys.sessionPrefix(userId)])
      return (Array.isArray(rows) ? rows : []).map((r) => toRecord(toHash(r))!).sort(byCreated)
    },
  }
}
