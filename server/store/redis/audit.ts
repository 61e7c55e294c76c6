import { AUDIT_GENESIS, auditEntryHash } from '../auditHash.ts'
import type { AuditEntry, AuditInput, AuditStore } from '../ports.ts'
import type { Reply, RedisConn } from './connection.ts'
import type { Keyspace } from './keys.ts'
import { lua } from './lua.ts'

/**
 * Appends the entry only if the log's head is still the one it was chained to, and moves the head; else
 * returns the current head [seq, hash] so the caller can chain again. Redis Lua has no SHA-256, so the hash
 * is computed by the caller and this is a compare-and-set. Stream ids are `<seq>-0`.
 * KEYS: log stream, head hash. ARGV: previous seq, seq, hash, entry JSON.
 */
const APPEND = lua(`
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash')
if (head[1] or '0') ~= ARGV[1] then return head end
redis.call('XADD', KEYS[1], ARGV[2] .. '-0', 'entry', ARGV[4])
redis.call('HSET', KEYS[2], 'seq', ARGV[2], 'hash', ARGV[3])
return 1`)

/** Rounds lost to other instances before giving up; each round some appender wins, so this is never near. */
const MAX_ROUNDS = 1000

interface Head {
  seq: number
  hash: string
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
  async function appendNow(input: AuditInput, at: number): Promise<AuditEntry> {
    // Hash what is stored: the JSON round trip drops undefined members and turns Dates into strings, and
    // a verifier reading the entry back must get the same bytes.
    const data = JSON.parse(JSON.stringify(input.data ?? {})) as Record<string, unknown>
    let head = known ?? toHead(await conn.call(headKey, ['HMGET', headKey, 'seq', 'hash']))
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const body = { seq: head.seq + 1, at, type: input.type, actor: input.actor ?? '', subject: input.subject ?? '',
        data, prevHash: head.hash }
      const entry: AuditEntry = { ...body, hash: auditEntryHash(body) }
      const r = await conn.run(APPEND, [log, headKey],
        [String(head.seq), String(entry.seq), entry.hash, JSON.stringify(entry)])
      if (r === 1) {
        known = { seq: entry.seq, hash: entry.hash }
        return entry
      }
      head = toHead(r)
      known = head
    }
    throw new Error('audit append lost every round to other writers')
  }

  // Appends from this instance go one at a time, so they never race each other, only other instances.
  let tail: Promise<unknown> = Promise.resolve()
  return {
    append(input, at) {
      const next = tail.then(() => appendNow(input, at))
      tail = next.catch(() => {})
      return next
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
  }
}
