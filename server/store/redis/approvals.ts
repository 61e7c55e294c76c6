import { randomUUID } from 'node:crypto'
import { StoreConflictError } from '../errors.ts'
import type { ApprovalRecord, ApprovalStore, AuditStore, AuditWrite, PolicySetRecord, PolicySetStore } from '../ports.ts'
import type { Reply, RedisConn } from './connection.ts'
import { GRACE_MS, type Keyspace } from './keys.ts'
import { lua, withOutbox } from './lua.ts'
import type { RunWithEvents } from './outbox.ts'
import { toHash } from './reply.ts'

// An approval is one hash under its own tag: the JSON document plus the fields scripts compare on
// (`version`, `status`, `jti`, `redeemedAt`). The pending and recent indexes and the velocity sets live in
// other slots: they are written after the record, and readers check the record itself.

/** KEYS: record. ARGV: doc, status, version. */
const CREATE = withOutbox(lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'status', ARGV[2], 'version', ARGV[3])
return 1`), 'r == 1')

/** Compare-and-set on the version. KEYS: record. ARGV: expected version, doc, status, version, jti. */
const UPDATE = withOutbox(lua(`
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'status', ARGV[3], 'version', ARGV[4], 'jti', ARGV[5])
return 1`), 'r == 1')

/** Once, for the current token of an approved request. KEYS: record. ARGV: jti, at. */
const REDEEM = withOutbox(lua(`
local f = redis.call('HMGET', KEYS[1], 'status', 'jti', 'redeemedAt')
if f[1] ~= 'approved' or f[2] ~= ARGV[1] or f[3] then return 0 end
redis.call('HSET', KEYS[1], 'redeemedAt', ARGV[2])
return 1`), 'r == 1')

/** KEYS: active set, history hash (same tag). ARGV: expected version ('' = none yet), version, doc. */
const ACTIVATE = withOutbox(lua(`
local cur = redis.call('HGET', KEYS[1], 'version')
if (cur or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'doc', ARGV[3])
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
return 1`), 'r == 1')

const RECENT_KEPT = 5000

function toRecord(h: Record<string, string>): ApprovalRecord | undefined {
  if (h.doc === undefined) return undefined
  return { ...(JSON.parse(h.doc) as ApprovalRecord), version: Number(h.version),
    redeemedAt: h.redeemedAt === undefined ? null : Number(h.redeemedAt) }
}

export function redisApprovals(conn: RedisConn, keys: Keyspace, runWithEvents: RunWithEvents, audit: AuditStore): ApprovalStore {
  // The audit log is in its own slot, so its entries follow the write (in order) instead of joining its script.
  const appendAudit = async (w: AuditWrite | undefined): Promise<void> => {
    if (w?.entries.length) await Promise.all(w.entries.map((e) => audit.append(e, w.at)))
  }
  const get = async (id: string) => toRecord(toHash(await conn.call(keys.approval(id), ['HGETALL', keys.approval(id)])))
  const pendingKey = keys.approvalsPending()
  const recentKey = keys.approvalsRecent()
  const listFrom = async (index: string, limit: number, keep: (a: ApprovalRecord) => boolean) => {
    const ids = await conn.call(index, ['ZRANGE', index, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', String(limit)])
    const all = await Promise.all((Array.isArray(ids) ? ids : []).map((id: Reply) => get(String(id))))
    return all.filter((a): a is ApprovalRecord => a !== undefined && keep(a))
  }
  return {
    async create(a, events, audited) {
      // The reservation and the index entries go first, the record (with its event) last: a failure in between
      // leaves an index entry without a record (lists skip it) or an amount reserved until the request's expiry (the
      // safe side), never a stored pending request that no list shows and velocity does not count.
      const reserved = keys.velocityPending(a.walletId, a.asset)
      await Promise.all([
        conn.call(recentKey, ['ZADD', recentKey, String(a.createdAt), a.id]),
        ...(a.status === 'pending' ? [conn.call(pendingKey, ['ZADD', pendingKey, String(a.createdAt), a.id])] : []),
        ...(a.status === 'pending' && a.kind === 'transfer' ? [conn.call(reserved, ['ZADD', reserved, String(a.expiresAt), `${a.id}|${a.amount}`])] : []),
      ])
      const created = await runWithEvents(CREATE, [keys.approval(a.id)], [JSON.stringify(a), a.status, String(a.version)], events)
      if (created !== 1) throw new StoreConflictError('id')
      await conn.call(recentKey, ['ZREMRANGEBYRANK', recentKey, '0', String(-RECENT_KEPT - 1)])
      await appendAudit(audited)
    },
    get,
    async update(next, events, audited) {
      // Velocity: every write of an approved transfer (its token's too) makes sure the request's member
      // (`id|amount`) is counted, and none ever removes it, so racing writes leave no moment where an approved request
      // is uncounted (a loser used to take it out and put it back). Each writer first adds a member of its own
      // (`id#uuid|amount`: counted before the record says approved, the safe side; approvedAmounts counts a request
      // once), then the canonical one if its write won or the record is approved anyway, then removes its own. A
      // crash in between leaves the writer's member: an over-count until it leaves the window, never an under-count.
      const approving = next.status === 'approved' && next.settledAt !== null && next.kind === 'transfer'
      const vel = keys.velocity(next.walletId, next.asset)
      const canonical = `${next.id}|${next.amount}`
      const mine = `${next.id}#${randomUUID()}|${next.amount}`
      if (approving) await conn.call(vel, ['ZADD', vel, String(next.settledAt), mine])
      const ok = await runWithEvents(UPDATE, [keys.approval(next.id)],
        [String(next.version - 1), JSON.stringify(next), next.status, String(next.version), next.token?.jti ?? ''], events) === 1
      if (approving) {
        if (ok) await conn.call(vel, ['ZADD', vel, String(next.settledAt), canonical])
        else if (await conn.call(keys.approval(next.id), ['HGET', keys.approval(next.id), 'status']) === 'approved') {
          await conn.call(vel, ['ZADD', vel, 'NX', String(next.settledAt), canonical])
        }
        await conn.call(vel, ['ZREM', vel, mine])
      }
      // Approved and then blocked (the policy in force forbade it when its token was asked for): no longer counted,
      // as on SQLite. No approving write follows a blocked one, so nothing puts the member back.
      if (ok && next.status === 'blocked' && next.kind === 'transfer' && next.settledAt !== null) {
        await conn.call(vel, ['ZREM', vel, canonical])
      }
      if (ok && next.status !== 'pending') {
        await conn.call(pendingKey, ['ZREM', pendingKey, next.id])
        // Settled (approved, rejected, expired, blocked): no longer reserved. Approved, it is counted above instead;
        // a crash before this line leaves it counted twice until its expiry (the safe side).
        const reserved = keys.velocityPending(next.walletId, next.asset)
        if (next.kind === 'transfer') await conn.call(reserved, ['ZREM', reserved, `${next.id}|${next.amount}`])
      }
      if (ok) await appendAudit(audited)
      return ok
    },
    listPending: (limit) => listFrom(pendingKey, limit, (a) => a.status === 'pending'),
    listRecent: (limit) => listFrom(recentKey, limit, () => true),
    async redeem(id, jti, at, events, audited) {
      const ok = await runWithEvents(REDEEM, [keys.approval(id)], [jti, String(at)], events) === 1
      if (ok) await appendAudit(audited)
      return ok
    },
    async approvedAmounts(walletId, asset, since) {
      const vel = keys.velocity(walletId, asset)
      await conn.call(vel, ['ZREMRANGEBYSCORE', vel, '-inf', `(${since - 7 * 24 * 3600_000}`])
      const members = await conn.call(vel, ['ZRANGE', vel, String(since), '+inf', 'BYSCORE'])
      // One amount per request: a writer's own member (`id#…|amount`, see update) counts as the request's, once.
      const byRequest = new Map<string, string>()
      for (const m of Array.isArray(members) ? members : []) {
        const text = String(m)
        const bar = text.lastIndexOf('|')
        const hash = text.indexOf('#')
        byRequest.set(text.slice(0, hash >= 0 && hash < bar ? hash : bar), text.slice(bar + 1))
      }
      return [...byRequest.values()]
    },
    async pendingAmounts(walletId, asset, now) {
      const reserved = keys.velocityPending(walletId, asset)
      await conn.call(reserved, ['ZREMRANGEBYSCORE', reserved, '-inf', `(${now - GRACE_MS}`])
      const members = await conn.call(reserved, ['ZRANGE', reserved, `(${now}`, '+inf', 'BYSCORE'])
      return (Array.isArray(members) ? members : []).map((m) => String(m).slice(String(m).lastIndexOf('|') + 1))
    },
  }
}

export function redisPolicySets(conn: RedisConn, keys: Keyspace, runWithEvents: RunWithEvents): PolicySetStore {
  const key = keys.policySet()
  const history = `${key}:history`
  return {
    async getVersion(version) {
      const doc = await conn.call(history, ['HGET', history, version])
      return typeof doc === 'string' ? (JSON.parse(doc) as PolicySetRecord) : undefined
    },
    async getActive() {
      const doc = await conn.call(key, ['HGET', key, 'doc'])
      return typeof doc === 'string' ? (JSON.parse(doc) as PolicySetRecord) : undefined
    },
    async activate(set, expectedVersion, events) {
      return await runWithEvents(ACTIVATE, [key, history], [expectedVersion ?? '', set.version, JSON.stringify(set)], events) === 1
    },
  }
}
