import type { Database } from 'better-sqlite3'
import { AUDIT_GENESIS, auditEntryHash } from '../auditHash.ts'
import type { AuditEntry, AuditInput, AuditStore } from '../ports.ts'
import { limited } from './limited.ts'

interface AuditRow {
  seq: number
  at: number
  type: string
  actor: string
  subject: string
  data: string
  prev_hash: string
  hash: string
}

function toEntry(r: AuditRow): AuditEntry {
  return { seq: r.seq, at: r.at, type: r.type, actor: r.actor, subject: r.subject,
    data: JSON.parse(r.data) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash }
}

/** Appends one entry, chained onto the tip; inside another transaction it is a savepoint of it. */
export type SqliteAuditAppend = ((input: AuditInput, at: number) => AuditEntry) & { immediate(input: AuditInput, at: number): AuditEntry }

export function sqliteAuditAppender(db: Database): SqliteAuditAppend {
  const last = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')
  const insert = db.prepare<[AuditRow]>(`INSERT INTO audit (seq, at, type, actor, subject, data, prev_hash, hash)
    VALUES (@seq, @at, @type, @actor, @subject, @data, @prev_hash, @hash)`)
  return db.transaction((input: AuditInput, at: number): AuditEntry => {
    const tip = last.get()
    // Hash what is stored: the JSON round trip drops undefined members and turns Dates into strings, and
    // a verifier reading the row back must get the same bytes.
    const dataText = JSON.stringify(input.data ?? {})
    const body = { seq: (tip?.seq ?? 0) + 1, at, type: input.type, actor: input.actor ?? '',
      subject: input.subject ?? '', data: JSON.parse(dataText) as Record<string, unknown>,
      prevHash: tip?.hash ?? AUDIT_GENESIS }
    const entry = { ...body, hash: auditEntryHash(body) }
    insert.run({ seq: entry.seq, at, type: entry.type, actor: entry.actor, subject: entry.subject,
      data: dataText, prev_hash: entry.prevHash, hash: entry.hash })
    return entry
  })
}

export function sqliteAudit(db: Database, append: SqliteAuditAppend = sqliteAuditAppender(db)): AuditStore {
  const page = limited<[number], AuditRow>(db, 'SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT {limit}')
  // Walks the primary key back from the head and stops at the first match (no index on type needed for recent ones).
  const latest = db.prepare<[string], AuditRow>('SELECT * FROM audit WHERE type = ? ORDER BY seq DESC LIMIT 1')
  return {
    // IMMEDIATE takes the write lock before reading the tip, so two writers cannot both chain onto it.
    async append(input, at) {
      return append.immediate(input, at)
    },
    async list({ afterSeq = 0, limit }) {
      return page(limit).all(afterSeq).map(toEntry)
    },
    async latestOfType(type) {
      const row = latest.get(type)
      return row && toEntry(row)
    },
  }
}
