import { AUDIT_GENESIS, auditEntryHash } from '../auditHash.ts'
import type { AuditEntry, AuditInput, AuditStore } from '../ports.ts'
import type { Reply, RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { lua } from './lua.ts'

/**
 * Appends the entries only if the log's head is still the one they were chained to, and moves the head to the
 * last; else returns the current head [seq, hash] so the caller can chain again. Redis Lua has no SHA-256, so the
 * hashes are computed by the caller and this is a compare-and-set. Stream ids are `<seq>-0`.
 * KEYS: log stream, head hash. ARGV: previous seq, then seq, hash, entry JSON for each entry.
 */
const APPEND = lua(`
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash')
if (head[1] or '0') ~= ARGV[1] then return head end
for i = 2, #ARGV, 3 do redis.call('XADD', KEYS[1], ARGV[i] .. '-0', 'entry', ARGV[i + 2]) end
redis.call('HSET', KEYS[2], 'seq', ARGV[#ARGV - 2], 'hash', ARGV[#ARGV - 1])
return 1`)

/** Rounds lost to other instances before giving up; each round some appender wins, so this is never near. */
const MAX_ROUNDS = 1000
/** Entries written by one script call at most. */
const MAX_BATCH = 64

interface Head {
  seq: number
  hash: string
}

interface Waiting {
  input: AuditInput
  /** input.data as stored and hashed. */
  data: Record<string, unknown>
  at: number
  resolve: (e: AuditEntry) => void
  reject: (err: unknown) => void
}

function toHead(reply: Reply): Head {
  const [seq, hash] = Array.isArray(reply) ? reply : []
  return { seq: seq ? Number(seq) : 0, hash: typeof hash === 'string' ? hash : AUDIT_GENESIS }
}

export function redisAudit(conn: RedisConn, keys: Keyspace): AuditStore {
  const log = keys.auditLog()
  const headKey = keys.auditHead()

  // The head this instance last wrote or saw: usually still current, which saves reading it first.
  let known: Head | undefined
  async function appendNow(batch: Waiting[]): Promise<AuditEntry[]> {
    let head = known ?? toHead(await conn.call(headKey, ['HMGET', headKey, 'seq', 'hash']))
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const entries: AuditEntry[] = []
      let prev = head
      batch.forEach((w) => {
        const body = { seq: prev.seq + 1, at: w.at, type: w.input.type, actor: w.input.actor ?? '', subject: w.input.subject ?? '',
          data: w.data, prevHash: prev.hash }
        const entry: AuditEntry = { ...body, hash: auditEntryHash(body) }
        entries.push(entry)
        prev = entry
      })
      const r = await conn.run(APPEND, [log, headKey],
        [String(head.seq), ...entries.flatMap((e) => [String(e.seq), e.hash, JSON.stringify(e)])])
      if (r === 1) {
        known = { seq: prev.seq, hash: prev.hash }
        return entries
      }
      head = toHead(r)
      known = head
    }
    throw new Error('audit append lost every round to other writers')
  }

  // Appends from this instance go one script call at a time, so they never race each other, only other
  // instances; entries that arrive while a call is out go together in the next one (a group commit: under load
  // one round trip writes many entries).
  const queue: Waiting[] = []
  let writing = false
  async function writeQueued(): Promise<void> {
    writing = true
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH)
      try {
        const entries = await appendNow(batch)
        batch.forEach((w, i) => w.resolve(entries[i]!))
      } catch (err) {
        batch.forEach((w) => w.reject(err))
      }
    }
    writing = false
  }
  return {
    append(input, at) {
      // Hash what is stored: the JSON round trip drops undefined members and turns Dates into strings, and
      // a verifier reading the entry back must get the same bytes. Data that cannot be stored fails this call only.
      let data: Record<string, unknown>
      try {
        data = JSON.parse(JSON.stringify(input.data ?? {})) as Record<string, unknown>
      } catch (err) {
        return Promise.reject(err)
      }
      return new Promise<AuditEntry>((resolve, reject) => {
        queue.push({ input, data, at, resolve, reject })
        // After this turn's other appends have queued too.
        if (!writing) { writing = true; queueMicrotask(() => void writeQueued()) }
      })
    },
    async list({ afterSeq = 0, limit }) {
      if (limit <= 0) return []
      const r = await conn.call(log, ['XRANGE', log, `${afterSeq + 1}-0`, '+', 'COUNT', String(limit)])
      // XRANGE gives [[id, [field, value]], ...]; the one field is the entry's JSON.
      return (Array.isArray(r) ? r : []).map((e) => {
        const fields = (e as Reply[])[1] as Reply[]
        return JSON.parse(String(fields[1])) as AuditEntry
      })
    },
    async latestOfType(type) {
      for (let end = '+'; ;) {
        const r = await conn.call(log, ['XREVRANGE', log, end, '-', 'COUNT', '1000'])
        const page = Array.isArray(r) ? r as Reply[][] : []
        for (const e of page) {
          const entry = JSON.parse(String((e[1] as Reply[])[1])) as AuditEntry
          if (entry.type === type) return entry
        }
        if (page.length < 1000) return undefined
        end = `(${String(page.at(-1)![0])}`
      }
    },
  }
}
