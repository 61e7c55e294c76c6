import { StoreConflictError } from '../errors.ts'
import type { DeliveryState, OutboxEvent, WebhookDelivery, WebhookStore, WebhookSubscription } from '../ports.ts'
import type { Reply, RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { lua } from './lua.ts'
import { toHash } from './reply.ts'

// Every webhook key shares the `{wh}` tag: subscriptions, deliveries (hash per delivery), and the indexes
// `due` (pending, scored by next attempt), `dead`, `log` (all, by creation) and `sub:<id>:log`. Scripts reach
// records by a key prefix in ARGV, as MEMBER_RECORDS does; they stay in the one slot.

/** Delivered deliveries are kept this long for the delivery log, then expire. */
const KEEP_DELIVERED_MS = 7 * 24 * 3600_000

/**
 * Adds each delivery unless it exists or its subscription is gone.
 * KEYS: subscription set, due, log. ARGV: prefix, then per delivery: id, subscription id, createdAt, due, fields JSON.
 */
const ENQUEUE = lua(`
local p = ARGV[1]
for i = 2, #ARGV, 5 do
  local id, sub, created, due = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('SISMEMBER', KEYS[1], sub) == 1 and redis.call('EXISTS', p .. 'd:' .. id) == 0 then
    local f = cjson.decode(ARGV[i + 4])
    local flat = {}
    for k, v in pairs(f) do flat[#flat + 1] = k; flat[#flat + 1] = v end
    redis.call('HSET', p .. 'd:' .. id, unpack(flat))
    redis.call('ZADD', KEYS[2], due, id)
    redis.call('ZADD', KEYS[3], created, id)
    redis.call('ZADD', p .. 'sub:' .. sub .. ':log', created, id)
  end
end
return 1`)

/** Leases due deliveries: their due time moves to the lease's end. KEYS: due. ARGV: prefix, now, lease end, limit. */
const CLAIM = lua(`
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], '-inf', ARGV[2], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[4]))) do
  local key = ARGV[1] .. 'd:' .. id
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[3], id)
    redis.call('HSET', key, 'nextAttemptAt', ARGV[3])
    out[#out + 1] = redis.call('HGETALL', key)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out`)

/**
 * Records an attempt if the lease is still the caller's. KEYS: due, dead.
 * ARGV: prefix, id, lease end, state, attempts, next, lastAttemptAt, lastStatus, lastError, keep ms.
 */
const SETTLE = lua(`
local key = ARGV[1] .. 'd:' .. ARGV[2]
local cur = redis.call('HMGET', key, 'state', 'nextAttemptAt')
if cur[1] ~= 'pending' or cur[2] ~= ARGV[3] then return 0 end
redis.call('HSET', key, 'state', ARGV[4], 'attempts', ARGV[5], 'nextAttemptAt', ARGV[6], 'lastAttemptAt', ARGV[7],
  'lastStatus', ARGV[8], 'lastError', ARGV[9])
if ARGV[4] == 'pending' then redis.call('ZADD', KEYS[1], ARGV[6], ARGV[2]) else redis.call('ZREM', KEYS[1], ARGV[2]) end
if ARGV[4] == 'dead' then redis.call('ZADD', KEYS[2], ARGV[7], ARGV[2]) end
if ARGV[4] == 'delivered' then redis.call('PEXPIRE', key, ARGV[10]) end
return 1`)

/** Makes dead deliveries pending again. KEYS: due, dead. ARGV: prefix, now, subscription id or '', delivery id or ''. */
const REPLAY = lua(`
local ids = ARGV[4] ~= '' and { ARGV[4] } or redis.call('ZRANGE', KEYS[2], 0, -1)
local n = 0
for _, id in ipairs(ids) do
  local key = ARGV[1] .. 'd:' .. id
  local cur = redis.call('HMGET', key, 'state', 'subscriptionId')
  if cur[1] == 'dead' and (ARGV[3] == '' or cur[2] == ARGV[3]) then
    redis.call('HSET', key, 'state', 'pending', 'attempts', '0', 'nextAttemptAt', ARGV[2])
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    n = n + 1
  end
end
return n`)

/**
 * Trims the delivery logs (all, and the subscription's) of entries older than the cutoff whose record is gone
 * (a delivered one expires with its TTL): a record still there (pending, dead) stays listed, as on SQLite. At most
 * 500 entries a call, oldest first. KEYS: log, subscription log. ARGV: prefix, cutoff.
 */
const TRIM_LOGS = lua(`
local n = 0
for _, log in ipairs(KEYS) do
  for _, id in ipairs(redis.call('ZRANGE', log, '-inf', ARGV[2], 'BYSCORE', 'LIMIT', 0, 500)) do
    if redis.call('EXISTS', ARGV[1] .. 'd:' .. id) == 0 then redis.call('ZREM', log, id); n = n + 1 end
  end
end
return n`)

/** Creates the subscription and lists it, in one step; 0 if the id exists. KEYS: record, subscription set. ARGV: id, field/value pairs. */
const CREATE_SUB = lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local id = table.remove(ARGV, 1)
redis.call('HSET', KEYS[1], unpack(ARGV))
redis.call('SADD', KEYS[2], id)
return 1`)

/** Deletes a subscription and its deliveries. KEYS: subscription set, due, dead, log. ARGV: prefix, id. */
const DELETE_SUB = lua(`
if redis.call('SREM', KEYS[1], ARGV[2]) == 0 then return 0 end
local p = ARGV[1]
redis.call('DEL', p .. 'sub:' .. ARGV[2])
local log = p .. 'sub:' .. ARGV[2] .. ':log'
for _, id in ipairs(redis.call('ZRANGE', log, 0, -1)) do
  redis.call('DEL', p .. 'd:' .. id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end
redis.call('DEL', log)
return 1`)

/** Updates fields of an existing subscription; ARGV[1] '1' clears disabledAt. KEYS: subscription. */
const UPDATE_SUB = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '1' then redis.call('HDEL', KEYS[1], 'disabledAt') end
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
return 1`)

function subFields(s: WebhookSubscription): string[] {
  const f = ['id', s.id, 'url', s.url, 'description', s.description, 'eventTypes', JSON.stringify(s.eventTypes),
    'secret', s.secret, 'createdAt', String(s.createdAt)]
  if (s.disabledAt !== null) f.push('disabledAt', String(s.disabledAt))
  return f
}

function toSub(h: Record<string, string>): WebhookSubscription | undefined {
  if (h.id === undefined) return undefined
  return { id: h.id, url: h.url!, description: h.description!, eventTypes: JSON.parse(h.eventTypes!) as string[],
    secret: h.secret!, createdAt: Number(h.createdAt), disabledAt: h.disabledAt === undefined ? null : Number(h.disabledAt) }
}

const nullable = (v: string | undefined) => (v === undefined || v === '' ? null : v)

function toDelivery(h: Record<string, string>): WebhookDelivery | undefined {
  if (h.id === undefined) return undefined
  const status = nullable(h.lastStatus)
  const at = nullable(h.lastAttemptAt)
  return { id: h.id, subscriptionId: h.subscriptionId!, event: JSON.parse(h.event!) as OutboxEvent,
    state: h.state as DeliveryState, attempts: Number(h.attempts), nextAttemptAt: Number(h.nextAttemptAt),
    lastAttemptAt: at === null ? null : Number(at), lastStatus: status === null ? null : Number(status),
    lastError: nullable(h.lastError), createdAt: Number(h.createdAt) }
}

export function redisWebhooks(conn: RedisConn, keys: Keyspace): WebhookStore {
  const p = keys.webhooks()
  const subs = `${p}subs`
  const due = `${p}due`
  const dead = `${p}dead`
  const log = `${p}log`
  const getSub = async (id: string) => toSub(toHash(await conn.call(`${p}sub:${id}`, ['HGETALL', `${p}sub:${id}`])))
  const getDelivery = async (id: string) => toDelivery(toHash(await conn.call(`${p}d:${id}`, ['HGETALL', `${p}d:${id}`])))
  return {
    async createSubscription(s) {
      // One script: a subscription stored but not listed would get no deliveries and could not be deleted.
      if (await conn.run(CREATE_SUB, [`${p}sub:${s.id}`, subs], [s.id, ...subFields(s)]) !== 1) throw new StoreConflictError('id')
    },
    getSubscription: getSub,
    async listSubscriptions() {
      const ids = await conn.call(subs, ['SMEMBERS', subs])
      const all = await Promise.all((Array.isArray(ids) ? ids : []).map((id) => getSub(String(id))))
      return all.filter((s) => s !== undefined).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
    },
    async updateSubscription(id, patch) {
      const fields: string[] = []
      if (patch.url !== undefined) fields.push('url', patch.url)
      if (patch.description !== undefined) fields.push('description', patch.description)
      if (patch.eventTypes !== undefined) fields.push('eventTypes', JSON.stringify(patch.eventTypes))
      if (typeof patch.disabledAt === 'number') fields.push('disabledAt', String(patch.disabledAt))
      const ok = await conn.run(UPDATE_SUB, [`${p}sub:${id}`], [patch.disabledAt === null ? '1' : '0', ...fields])
      return ok === 1 ? getSub(id) : undefined
    },
    async deleteSubscription(id) {
      return await conn.run(DELETE_SUB, [subs, due, dead, log], [p, id]) === 1
    },
    async enqueue(deliveries) {
      if (deliveries.length === 0) return
      const args = [p]
      for (const d of deliveries) {
        const fields = { id: d.id, subscriptionId: d.subscriptionId, event: JSON.stringify(d.event), state: d.state,
          attempts: String(d.attempts), nextAttemptAt: String(d.nextAttemptAt), lastAttemptAt: String(d.lastAttemptAt ?? ''),
          lastStatus: String(d.lastStatus ?? ''), lastError: d.lastError ?? '', createdAt: String(d.createdAt) }
        args.push(d.id, d.subscriptionId, String(d.createdAt), String(d.nextAttemptAt), JSON.stringify(fields))
      }
      await conn.run(ENQUEUE, [subs, due, log], args)
      // The log indexes outlive delivered records (they expire): entries older than any kept delivered record whose
      // record is gone are trimmed, from the whole log and from the subscription's.
      const t = deliveries[0]!.createdAt - KEEP_DELIVERED_MS
      await conn.run(TRIM_LOGS, [log, `${p}sub:${deliveries[0]!.subscriptionId}:log`], [p, String(t)])
    },
    async claimDue(now, leaseMs, limit) {
      const rows = await conn.run(CLAIM, [due], [p, String(now), String(now + leaseMs), String(limit)])
      return (Array.isArray(rows) ? rows : []).map((r: Reply) => toDelivery(toHash(r))!).filter(Boolean)
    },
    async settle(id, leaseUntil, o) {
      return await conn.run(SETTLE, [due, dead], [p, id, String(leaseUntil), o.state, String(o.attempts),
        String(o.nextAttemptAt), String(o.lastAttemptAt), String(o.lastStatus ?? ''), o.lastError ?? '',
        String(KEEP_DELIVERED_MS)]) === 1
    },
    getDelivery,
    async listDeliveries(f) {
      const index = f.state === 'dead' ? dead : f.subscriptionId ? `${p}sub:${f.subscriptionId}:log` : log
      // Pages through the index until `limit` match or it runs out: a filter may skip any number of the newest.
      const out: WebhookDelivery[] = []
      const page = f.limit * 4 + 20
      for (let offset = 0; out.length < f.limit; offset += page) {
        const ids = await conn.call(index, ['ZRANGE', index, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', String(offset), String(page)])
        const list = Array.isArray(ids) ? ids : []
        const all = await Promise.all(list.map((id) => getDelivery(String(id))))
        out.push(...all.filter((d): d is WebhookDelivery => d !== undefined
          && (f.state === undefined || d.state === f.state)
          && (f.subscriptionId === undefined || d.subscriptionId === f.subscriptionId)))
        if (list.length < page) break
      }
      return out.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).slice(0, f.limit)
    },
    async replay(f, now) {
      return Number(await conn.run(REPLAY, [due, dead], [p, String(now), f.subscriptionId ?? '', f.deliveryId ?? '']))
    },
  }
}
