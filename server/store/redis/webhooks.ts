import { StoreConflictError } from '../errors.ts'
import type { DeliveryState, OutboxEvent, WebhookDelivery, WebhookStore, WebhookSubscription } from '../ports.ts'
import type { Reply, RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { lua } from './lua.ts'
import { toHash } from './reply.ts'

// Every webhook key shares the `{wh}` tag: subscriptions, deliveries (hash per delivery), and the indexes
// `sub:<id>:due` (the subscription's pending deliveries, scored by next attempt), `leased` (deliveries leased,
// scored by lease end), `dead`, `log` (all, by creation) and `sub:<id>:log`, and the counter `seq`. Scripts reach
// records by a key prefix in ARGV, as MEMBER_RECORDS does; they stay in the one slot.
//
// A due member is `<seq>|<id>`: seq counts enqueued deliveries (event order), fifteen digits, so deliveries due at
// the same time sort in the order they were enqueued (a bare id, random, would be the tie-break). Deliveries from
// before this layout have no seq (their member is the bare id) and sit in one shared `due`; a claim moves them over.

/** Delivered deliveries are kept this long for the delivery log, then expire. */
const KEEP_DELIVERED_MS = 7 * 24 * 3600_000

/**
 * Due deliveries a claim reads per subscription (it runs in Redis, blocking it meanwhile). Only an entity with
 * this many due behind one leased delivery makes the claim stop short in that subscription.
 */
const CLAIM_SCAN = 500

/** The due member of the delivery at `key`, in Lua: `<seq>|<id>`, or the bare id for one enqueued before seq. */
const DUE_MEMBER = `
local function dueMember(key, id)
  local seq = redis.call('HGET', key, 'seq')
  if seq then return seq .. '|' .. id end
  return id
end`

/**
 * Adds each delivery unless it exists or its subscription is gone, numbered in the order given.
 * KEYS: subscription set, seq, log. ARGV: prefix, then per delivery: id, subscription id, createdAt, due, fields JSON.
 */
const ENQUEUE = lua(`
local p = ARGV[1]
for i = 2, #ARGV, 5 do
  local id, sub, created, due = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('SISMEMBER', KEYS[1], sub) == 1 and redis.call('EXISTS', p .. 'd:' .. id) == 0 then
    local f = cjson.decode(ARGV[i + 4])
    local seq = string.format('%015d', redis.call('INCR', KEYS[2]))
    local flat = { 'seq', seq }
    for k, v in pairs(f) do flat[#flat + 1] = k; flat[#flat + 1] = v end
    redis.call('HSET', p .. 'd:' .. id, unpack(flat))
    redis.call('ZADD', p .. 'sub:' .. sub .. ':due', due, seq .. '|' .. id)
    redis.call('ZADD', KEYS[3], created, id)
    redis.call('ZADD', p .. 'sub:' .. sub .. ':log', created, id)
  end
end
return 1`)

/**
 * Leases due deliveries, in due then enqueue order: their due time moves to the lease's end. An entity
 * (subscription and event subject) with a delivery leased gets no other, and gets only its first due one; a
 * subscription with `cap` leased gets none. KEYS: subscription set, leased, shared due (from before seq).
 * ARGV: prefix, now, lease end, limit, cap (-1: none), deliveries read per subscription.
 */
const CLAIM = lua(`${DUE_MEMBER}
local p, now, leaseEnd = ARGV[1], ARGV[2], ARGV[3]
local limit, cap, scan = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if cap < 0 then cap = math.huge end
-- Deliveries enqueued before per-subscription queues move to their subscription's (a hundred a claim).
local old = redis.call('ZRANGE', KEYS[3], 0, 99, 'WITHSCORES')
for i = 1, #old, 2 do
  local sub = redis.call('HGET', p .. 'd:' .. old[i], 'subscriptionId')
  -- Under the member settle and replay use (seq|id once numbered), or an old instance's bare id would stay beside it.
  if sub then redis.call('ZADD', p .. 'sub:' .. sub .. ':due', old[i + 1], dueMember(p .. 'd:' .. old[i], old[i])) end
  redis.call('ZREM', KEYS[3], old[i])
end
local function entity(key)
  local f = redis.call('HMGET', key, 'subscriptionId', 'subject', 'state')
  if not f[1] or f[3] ~= 'pending' then return nil end
  local subject = f[2]
  if not subject then subject = cjson.decode(redis.call('HGET', key, 'event')).subject end
  return f[1] .. '\\n' .. tostring(subject)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local busy, perSub = {}, {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local key = p .. 'd:' .. id
  local e = entity(key)
  if e then
    busy[e] = true
    local sub = redis.call('HGET', key, 'subscriptionId')
    perSub[sub] = (perSub[sub] or 0) + 1
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
local picks = {}
for _, sub in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local room = math.min(limit, cap - (perSub[sub] or 0))
  local q = p .. 'sub:' .. sub .. ':due'
  if room > 0 then
    local ms = redis.call('ZRANGE', q, '-inf', now, 'BYSCORE', 'LIMIT', 0, scan, 'WITHSCORES')
    for i = 1, #ms, 2 do
      local m = ms[i]
      local id = string.match(m, '|(.*)$') or m
      local key = p .. 'd:' .. id
      local e = entity(key)
      if not e then
        redis.call('ZREM', q, m)
      elseif not busy[e] then
        busy[e] = true
        picks[#picks + 1] = { tonumber(ms[i + 1]), m, id, q, key }
        room = room - 1
        if room == 0 then break end
      end
    end
  end
end
table.sort(picks, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)
local out = {}
for i = 1, math.min(limit, #picks) do
  local c = picks[i]
  redis.call('ZADD', c[4], leaseEnd, c[2])
  redis.call('ZADD', KEYS[2], leaseEnd, c[3])
  redis.call('HSET', c[5], 'nextAttemptAt', leaseEnd)
  out[#out + 1] = redis.call('HGETALL', c[5])
end
return out`)

/**
 * Records an attempt if the lease is still the caller's, and ends the lease. KEYS: leased, dead.
 * ARGV: prefix, id, lease end, state, attempts, next, lastAttemptAt, lastStatus, lastError, keep ms.
 */
const SETTLE = lua(`${DUE_MEMBER}
local key = ARGV[1] .. 'd:' .. ARGV[2]
local cur = redis.call('HMGET', key, 'state', 'nextAttemptAt', 'subscriptionId')
if cur[1] ~= 'pending' or cur[2] ~= ARGV[3] then return 0 end
redis.call('HSET', key, 'state', ARGV[4], 'attempts', ARGV[5], 'nextAttemptAt', ARGV[6], 'lastAttemptAt', ARGV[7],
  'lastStatus', ARGV[8], 'lastError', ARGV[9])
redis.call('ZREM', KEYS[1], ARGV[2])
local q, m = ARGV[1] .. 'sub:' .. cur[3] .. ':due', dueMember(key, ARGV[2])
if ARGV[4] == 'pending' then redis.call('ZADD', q, ARGV[6], m) else redis.call('ZREM', q, m) end
if ARGV[4] == 'dead' then redis.call('ZADD', KEYS[2], ARGV[7], ARGV[2]) end
if ARGV[4] == 'delivered' then redis.call('PEXPIRE', key, ARGV[10]) end
return 1`)

/** Makes dead deliveries pending again. KEYS: dead. ARGV: prefix, now, subscription id or '', delivery id or ''. */
const REPLAY = lua(`${DUE_MEMBER}
local ids = ARGV[4] ~= '' and { ARGV[4] } or redis.call('ZRANGE', KEYS[1], 0, -1)
local n = 0
for _, id in ipairs(ids) do
  local key = ARGV[1] .. 'd:' .. id
  local cur = redis.call('HMGET', key, 'state', 'subscriptionId')
  if cur[1] == 'dead' and (ARGV[3] == '' or cur[2] == ARGV[3]) then
    redis.call('HSET', key, 'state', 'pending', 'attempts', '0', 'nextAttemptAt', ARGV[2])
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZADD', ARGV[1] .. 'sub:' .. cur[2] .. ':due', ARGV[2], dueMember(key, id))
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

/**
 * Deletes a subscription and its deliveries. KEYS: subscription set, shared due (from before seq), dead, log, leased.
 * ARGV: prefix, id.
 */
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
  redis.call('ZREM', KEYS[5], id)
end
redis.call('DEL', log, p .. 'sub:' .. ARGV[2] .. ':due')
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
  const sharedDue = `${p}due`
  const leased = `${p}leased`
  const seq = `${p}seq`
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
      return await conn.run(DELETE_SUB, [subs, sharedDue, dead, log, leased], [p, id]) === 1
    },
    async enqueue(deliveries) {
      if (deliveries.length === 0) return
      const args = [p]
      for (const d of deliveries) {
        const fields = { id: d.id, subscriptionId: d.subscriptionId, event: JSON.stringify(d.event), state: d.state,
          attempts: String(d.attempts), nextAttemptAt: String(d.nextAttemptAt), lastAttemptAt: String(d.lastAttemptAt ?? ''),
          lastStatus: String(d.lastStatus ?? ''), lastError: d.lastError ?? '', createdAt: String(d.createdAt),
          // Read by the claim to find the entity without decoding the event (which cost ~7 ms a backlogged subscription).
          subject: d.event.subject }
        args.push(d.id, d.subscriptionId, String(d.createdAt), String(d.nextAttemptAt), JSON.stringify(fields))
      }
      await conn.run(ENQUEUE, [subs, seq, log], args)
      // The log indexes outlive delivered records (they expire): entries older than any kept delivered record whose
      // record is gone are trimmed, from the whole log and from the subscription's.
      const t = deliveries[0]!.createdAt - KEEP_DELIVERED_MS
      await conn.run(TRIM_LOGS, [log, `${p}sub:${deliveries[0]!.subscriptionId}:log`], [p, String(t)])
    },
    async claimDue(now, leaseMs, limit, options) {
      const rows = await conn.run(CLAIM, [subs, leased, sharedDue], [p, String(now), String(now + leaseMs), String(limit),
        String(options?.perSubscription ?? -1), String(CLAIM_SCAN)])
      return (Array.isArray(rows) ? rows : []).map((r: Reply) => toDelivery(toHash(r))!).filter(Boolean)
    },
    async settle(id, leaseUntil, o) {
      return await conn.run(SETTLE, [leased, dead], [p, id, String(leaseUntil), o.state, String(o.attempts),
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
      return Number(await conn.run(REPLAY, [dead], [p, String(now), f.subscriptionId ?? '', f.deliveryId ?? '']))
    },
  }
}
