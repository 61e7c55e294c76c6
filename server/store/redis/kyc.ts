import { StoreConflictError } from '../errors.ts'
import type { KycCredentialRecord, KycCredentialStatus, KycStore, OutboxEvent } from '../ports.ts'
import type { RedisConn } from './connection.ts'
import { type Keyspace, keyExpiry } from './keys.ts'
import { lua, withOutbox } from './lua.ts'
import type { RunWithEvents } from './outbox.ts'
import { toHash, toText } from './reply.ts'

/** A JSON value under a key that must not exist yet, expiring. KEYS: key. ARGV: doc, PXAT. */
const PUT_NEW = withOutbox(lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1`), 'r == 1')

/** KEYS: subject. ARGV: sealed ('' = none), submittedBy, createdAt, expiresAt, PXAT (a past one deletes the key at once). */
const PUT_SUBJECT = withOutbox(lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'submittedBy', ARGV[2], 'createdAt', ARGV[3], 'expiresAt', ARGV[4])
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'sealed', ARGV[1]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 1`), 'r == 1')

/** KEYS: subject. */
const ERASE_SUBJECT = withOutbox(lua(`return redis.call('HDEL', KEYS[1], 'sealed')`), 'r == 1')

/** Claims the list entry and writes the record in one step. KEYS: entries, credential. ARGV: index, id, doc, status. */
const CREATE_CREDENTIAL = withOutbox(lua(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'doc', ARGV[3], 'status', ARGV[4])
return 1`), 'r == 1')

/**
 * KEYS: credential, statuses. ARGV: allowed from-statuses (comma-separated), to, at, index.
 * Returns the record's doc when the status moved, else nil.
 */
const SET_STATUS = withOutbox(lua(`
local f = redis.call('HMGET', KEYS[1], 'doc', 'status')
if not f[1] then return false end
local ok = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == f[2] then ok = true end end
if not ok then return false end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'updatedAt', ARGV[3])
if ARGV[2] == 'valid' then redis.call('HDEL', KEYS[2], ARGV[4]) else redis.call('HSET', KEYS[2], ARGV[4], ARGV[2]) end
return f[1]`), 'r')

const parse = <T>(text: string | undefined): T | undefined => text === undefined ? undefined : JSON.parse(text) as T

export function redisKyc(conn: RedisConn, keys: Keyspace, runWithEvents: RunWithEvents): KycStore {
  const putNew = async (key: string, doc: unknown, expiresAt: number, events?: OutboxEvent[]) => {
    if (await runWithEvents(PUT_NEW, [key], [JSON.stringify(doc), keyExpiry(expiresAt)], events) !== 1) throw new StoreConflictError('id')
  }
  // GETDEL is one command: of any number of instances, one gets the value.
  const take = async <T>(key: string) => parse<T>(toText(await conn.call(key, ['GETDEL', key])))
  const credential = async (listId: string, id: string): Promise<KycCredentialRecord | undefined> => {
    const key = keys.kycCredential(listId, id)
    const h = toHash(await conn.call(key, ['HGETALL', key]))
    if (h.doc === undefined) return undefined
    const rec = JSON.parse(h.doc) as KycCredentialRecord
    return { ...rec, status: h.status as KycCredentialStatus, updatedAt: h.updatedAt === undefined ? rec.updatedAt : Number(h.updatedAt) }
  }
  const listOf = async (id: string) => toText(await conn.call(keys.kycCredentialList(id), ['GET', keys.kycCredentialList(id)]))
  return {
    async putSubject(s, events) {
      // KYC data expires at its time, without the grace of short-lived records (services check those with their
      // own clock): past expiresAt the subject is absent, as on SQLite, and its data gone.
      const ok = await runWithEvents(PUT_SUBJECT, [keys.kycSubject(s.refHash)],
        [s.sealed ?? '', s.submittedBy, String(s.createdAt), String(s.expiresAt), String(Math.max(1, Math.trunc(s.expiresAt)))], events)
      if (ok !== 1) throw new StoreConflictError('id')
    },
    async getSubject(refHash) {
      const h = toHash(await conn.call(keys.kycSubject(refHash), ['HGETALL', keys.kycSubject(refHash)]))
      if (h.submittedBy === undefined) return undefined
      return { refHash, sealed: h.sealed ?? null, submittedBy: h.submittedBy, createdAt: Number(h.createdAt), expiresAt: Number(h.expiresAt) }
    },
    async eraseSubject(refHash, events) {
      return await runWithEvents(ERASE_SUBJECT, [keys.kycSubject(refHash)], [], events) === 1
    },
    createOffer: (o, events) => putNew(keys.kycOffer(o.codeHash), o, o.expiresAt, events),
    consumeOffer: (codeHash) => take(keys.kycOffer(codeHash)),
    putAccessToken: (t, events) => putNew(keys.kycToken(t.tokenHash), t, t.expiresAt, events),
    async getAccessToken(tokenHash) {
      return parse(toText(await conn.call(keys.kycToken(tokenHash), ['GET', keys.kycToken(tokenHash)])))
    },
    consumeAccessToken: (tokenHash) => take(keys.kycToken(tokenHash)),
    putNonce: (nonce, expiresAt) => putNew(keys.kycNonce(nonce), { expiresAt }, expiresAt),
    async consumeNonce(nonce) {
      return (await take<{ expiresAt: number }>(keys.kycNonce(nonce)))?.expiresAt
    },
    async createCredential(c, events) {
      // The id → list pointer lives in another slot: written first, dropped again if the entry was taken, so a
      // crash in between leaves only a pointer to nothing.
      const pointer = keys.kycCredentialList(c.id)
      if (await conn.call(pointer, ['SET', pointer, c.statusListId, 'NX']) === null) throw new StoreConflictError('id')
      const created = await runWithEvents(CREATE_CREDENTIAL, [keys.kycListEntries(c.statusListId), keys.kycCredential(c.statusListId, c.id)],
        [String(c.statusIndex), c.id, JSON.stringify(c), c.status], events) === 1
      if (!created) {
        await conn.call(pointer, ['DEL', pointer])
        return false
      }
      const bySubject = keys.kycBySubject(c.subjectRefHash)
      await conn.call(bySubject, ['ZADD', bySubject, String(c.issuedAt), `${c.statusListId}|${c.id}`])
      return true
    },
    async getCredential(id) {
      const listId = await listOf(id)
      return listId === undefined ? undefined : credential(listId, id)
    },
    async getCredentialByStatusEntry(listId, index) {
      const entries = keys.kycListEntries(listId)
      const id = toText(await conn.call(entries, ['HGET', entries, String(index)]))
      return id === undefined ? undefined : credential(listId, id)
    },
    async listCredentials(subjectRefHash, limit) {
      const key = keys.kycBySubject(subjectRefHash)
      const members = await conn.call(key, ['ZRANGE', key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', String(limit)])
      const all = await Promise.all((Array.isArray(members) ? members : []).map((m) => {
        const [listId, id] = String(m).split('|') as [string, string]
        return credential(listId, id)
      }))
      return all.filter((c): c is KycCredentialRecord => c !== undefined)
    },
    async setCredentialStatus(id, from, to, at, events) {
      const listId = await listOf(id)
      if (listId === undefined) return undefined
      const current = await credential(listId, id)
      if (!current) return undefined
      const doc = await runWithEvents(SET_STATUS, [keys.kycCredential(listId, id), keys.kycListStatuses(listId)],
        [from.join(','), to, String(at), String(current.statusIndex)], events)
      if (typeof doc !== 'string') return undefined
      return { ...(JSON.parse(doc) as KycCredentialRecord), status: to, updatedAt: at }
    },
    async statusEntries(listId) {
      const h = toHash(await conn.call(keys.kycListStatuses(listId), ['HGETALL', keys.kycListStatuses(listId)]))
      return Object.entries(h).map(([index, status]) => ({ index: Number(index), status: status as KycCredentialStatus }))
    },
    async statusListUsage(listId) {
      return Number(await conn.call(keys.kycListEntries(listId), ['HLEN', keys.kycListEntries(listId)]))
    },
  }
}
