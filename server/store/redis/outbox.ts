import type { OutboxEvent, OutboxStore } from '../ports.ts'
import type { Reply, RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { lua, type LuaScript } from './lua.ts'

/** The trailing script arguments withOutbox expects: each event's JSON, then how many. */
export function outboxArgs(events: OutboxEvent[] | undefined): string[] {
  return [...(events ?? []).map((e) => JSON.stringify(e)), String(events?.length ?? 0)]
}

/**
 * Runs after a script that wrote events: lists their stream in the drain's work list. That list lives in
 * another slot, so this is a second step; a crash between the two leaves events the drain does not know of,
 * and the sweep (SCAN, at start-up and every few minutes) lists them again. Nothing is lost, only late.
 */
export type MarkOutbox = (outboxKey: string, events: OutboxEvent[] | undefined) => Promise<void>

export function outboxMarker(conn: RedisConn, keys: Keyspace): MarkOutbox {
  const list = keys.outboxPartitions()
  return async (outboxKey, events) => {
    if (events?.length) await conn.call(list, ['SADD', list, outboxKey])
  }
}

/**
 * Runs a withOutbox script with the outbox stream of its first key's slot, then lists that stream for the
 * drain. Listing a stream the script did not write to (the change did not happen) only costs the drain a look.
 */
export type RunWithEvents = (script: LuaScript, keys: string[], args: string[], events: OutboxEvent[] | undefined) => Promise<Reply>

export function eventRunner(conn: RedisConn, keys: Keyspace, mark: MarkOutbox): RunWithEvents {
  return async (script, scriptKeys, args, events) => {
    const outbox = keys.outboxOf(scriptKeys[0]!)
    const run = conn.run(script, [...scriptKeys, outbox], [...args, ...outboxArgs(events)])
    if (!conn.ordered) {
      const r = await run
      await mark(outbox, events)
      return r
    }
    // On one server the listing is sent right behind the script and runs after it: one round trip, same order.
    // If the script fails, the stream is listed anyway, which only costs the drain a look. A script the server
    // had to be sent again ran after the listing, so the stream is listed once more.
    const reloads = conn.reloads
    const [r] = await Promise.all([run, mark(outbox, events)])
    if (conn.reloads !== reloads) await mark(outbox, events)
    return r
  }
}

/** Deletes the handed-on entries and returns how many are left: one command per stream. KEYS: stream. ARGV: entry ids. */
const DELETE_AND_COUNT = lua(`
if #ARGV > 0 then redis.call('XDEL', KEYS[1], unpack(ARGV)) end
local n = redis.call('XLEN', KEYS[1])
if n == 0 then redis.call('DEL', KEYS[1]) end
return n`)

/** Streams read per drain call. */
const PARTITIONS_PER_DRAIN = 100

function toEvents(reply: Reply): { ids: string[]; events: OutboxEvent[] } {
  const ids: string[] = []
  const events: OutboxEvent[] = []
  for (const entry of Array.isArray(reply) ? reply : []) {
    const [id, fields] = entry as [string, Reply[]]
    ids.push(id)
    events.push(JSON.parse(String(fields[1])) as OutboxEvent)
  }
  return { ids, events }
}

export function redisOutbox(conn: RedisConn, keys: Keyspace, mark: MarkOutbox): OutboxStore {
  const list = keys.outboxPartitions()
  const system = keys.outboxSystem()
  let lastSweep = -Infinity
  async function sweep(): Promise<void> {
    const streams = await conn.scan(keys.outboxPattern(), 'stream')
    for (const key of streams) {
      if (Number(await conn.call(key, ['XLEN', key])) > 0) await conn.call(list, ['SADD', list, key])
    }
  }
  return {
    async publish(events) {
      for (const e of events) await conn.call(system, ['XADD', system, '*', 'e', JSON.stringify(e)])
      await mark(system, events)
    },
    async drain(handle, limit) {
      const now = Date.now()
      if (now - lastSweep > 5 * 60_000) {
        lastSweep = now
        await sweep()
      }
      const members = await conn.call(list, ['SRANDMEMBER', list, String(PARTITIONS_PER_DRAIN)])
      const streams = (Array.isArray(members) ? members : []).map(String)
      if (streams.length === 0) return 0
      // Unlisted first: an event written after this lands in its stream before its writer lists it again, so
      // it is either in the reads below or listed anew. The streams are read in parallel (one pipeline).
      await conn.call(list, ['SREM', list, ...streams])
      const reads = await Promise.all(streams.map(async (key) =>
        ({ key, ...toEvents(await conn.call(key, ['XRANGE', key, '-', '+', 'COUNT', String(limit)])) })))
      const taken: { key: string; ids: string[] }[] = []
      const events: OutboxEvent[] = []
      for (const r of reads) {
        const room = limit - events.length
        if (room <= 0) break
        taken.push({ key: r.key, ids: r.ids.slice(0, room) })
        events.push(...r.events.slice(0, room))
      }
      try {
        if (events.length) await handle(events)
      } catch (err) {
        await conn.call(list, ['SADD', list, ...streams])
        throw err
      }
      const done = new Map(taken.map((t) => [t.key, t.ids]))
      const left = await Promise.all(streams.map(async (key) => ({ key, n: Number(await conn.run(DELETE_AND_COUNT, [key], done.get(key) ?? [])) })))
      const again = left.filter((l) => l.n > 0).map((l) => l.key)
      if (again.length) await conn.call(list, ['SADD', list, ...again])
      return events.length
    },
    async pending() {
      const members = await conn.call(list, ['SMEMBERS', list])
      let n = 0
      for (const key of (Array.isArray(members) ? members : []).map(String)) n += Number(await conn.call(key, ['XLEN', key]))
      return n
    },
  }
}
