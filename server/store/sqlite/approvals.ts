import type { Database } from 'better-sqlite3'
import type { ApprovalRecord, ApprovalStore, AuditWrite, PolicySetRecord, PolicySetStore } from '../ports.ts'
import type { SqliteAuditAppend } from './audit.ts'
import { rethrowConflict } from './conflict.ts'
import { type WriteEvents, withEvents } from './outbox.ts'
import { limited } from './limited.ts'

interface ApprovalRow {
  id: string
  status: string
  created_at: number
  wallet_id: string
  asset: string
  settled_at: number | null
  version: number
  token_jti: string | null
  redeemed_at: number | null
  doc: string
}

// The record is one JSON document; the columns beside it are what queries filter on. `version` and
// `redeemed_at` are authoritative in their columns (redeem changes only the column).
function toRecord(r: ApprovalRow): ApprovalRecord {
  return { ...(JSON.parse(r.doc) as ApprovalRecord), version: r.version, redeemedAt: r.redeemed_at }
}

function toRow(a: ApprovalRecord): ApprovalRow {
  return { id: a.id, status: a.status, created_at: a.createdAt, wallet_id: a.walletId, asset: a.asset,
    settled_at: a.settledAt, version: a.version, token_jti: a.token?.jti ?? null, redeemed_at: a.redeemedAt, doc: JSON.stringify(a) }
}

/**
 * `withEvents` (outbox events in the change's transaction, only when `wrote` says it changed something) with the
 * write's audit entries appended the same way: (events, audit, ...args) => result.
 */
function withEffects<A extends unknown[], R>(db: Database, write: WriteEvents, appendAudit: SqliteAuditAppend, change: (...args: A) => R,
  wrote: (result: R) => boolean = () => true) {
  return withEvents(db, write, (audit: AuditWrite | undefined, ...args: A): R => {
    const result = change(...args)
    if (audit && wrote(result)) for (const entry of audit.entries) appendAudit(entry, audit.at)
    return result
  }, wrote)
}

export function sqliteApprovals(db: Database, write: WriteEvents, appendAudit: SqliteAuditAppend): ApprovalStore {
  const insert = db.prepare<[ApprovalRow]>(`INSERT INTO approvals (id, status, created_at, wallet_id, asset, settled_at,
    version, token_jti, redeemed_at, doc) VALUES (@id, @status, @created_at, @wallet_id, @asset, @settled_at, @version,
    @token_jti, @redeemed_at, @doc)`)
  const byId = db.prepare<[string], ApprovalRow>('SELECT * FROM approvals WHERE id = ?')
  const replace = db.prepare<[ApprovalRow & { expected: number }]>(`UPDATE approvals SET status = @status,
    settled_at = @settled_at, version = @version, token_jti = @token_jti, doc = @doc
    WHERE id = @id AND version = @expected`)
  const pending = limited<[], ApprovalRow>(db, `SELECT * FROM approvals WHERE status = 'pending' ORDER BY created_at DESC, id DESC LIMIT {limit}`)
  const recent = limited<[], ApprovalRow>(db, 'SELECT * FROM approvals ORDER BY created_at DESC, id DESC LIMIT {limit}')
  // Only the current token of an approved request, and only once: of concurrent redeems one changes the row.
  const redeem = db.prepare<[number, string, string]>(`UPDATE approvals SET redeemed_at = ?
    WHERE id = ? AND token_jti = ? AND status = 'approved' AND redeemed_at IS NULL`)
  const amounts = db.prepare<[string, string, number], string>(`SELECT json_extract(doc, '$.amount') FROM approvals
    WHERE wallet_id = ? AND asset = ? AND status = 'approved' AND settled_at >= ?`).pluck()
  const pendingAmounts = db.prepare<[string, string, number], string>(`SELECT json_extract(doc, '$.amount') FROM approvals
    WHERE wallet_id = ? AND asset = ? AND status = 'pending' AND json_extract(doc, '$.kind') = 'transfer' AND json_extract(doc, '$.expiresAt') > ?`).pluck()
  const create = withEffects(db, write, appendAudit, (a: ApprovalRecord) => { insert.run(toRow(a)) })
  const update = withEffects(db, write, appendAudit, (a: ApprovalRecord) => replace.run({ ...toRow(a), expected: a.version - 1 }).changes === 1,
    (changed) => changed)
  const redeemOne = withEffects(db, write, appendAudit, (id: string, jti: string, at: number) => redeem.run(at, id, jti).changes === 1,
    (changed) => changed)
  return {
    async create(a, events, audit) {
      try {
        create(events, audit, a)
      } catch (err) {
        rethrowConflict(err)
      }
    },
    async get(id) {
      const row = byId.get(id)
      return row && toRecord(row)
    },
    async update(next, events, audit) {
      return update(events, audit, next)
    },
    async listPending(limit) {
      return pending(limit).all().map(toRecord)
    },
    async listRecent(limit) {
      return recent(limit).all().map(toRecord)
    },
    async redeem(id, jti, at, events, audit) {
      return redeemOne(events, audit, id, jti, at)
    },
    async approvedAmounts(walletId, asset, since) {
      return amounts.all(walletId, asset, since)
    },
    async pendingAmounts(walletId, asset, now) {
      return pendingAmounts.all(walletId, asset, now)
    },
  }
}

export function sqlitePolicySets(db: Database, write: WriteEvents): PolicySetStore {
  const active = db.prepare<[], { doc: string }>(`SELECT doc FROM policy_sets WHERE slot = 'active'`)
  const insert = db.prepare<[string, string]>(`INSERT OR IGNORE INTO policy_sets (slot, version, doc) VALUES ('active', ?, ?)`)
  const swap = db.prepare<[string, string, string]>(`UPDATE policy_sets SET version = ?, doc = ? WHERE slot = 'active' AND version = ?`)
  const byVersion = db.prepare<[string], { doc: string }>(`SELECT doc FROM policy_sets WHERE slot = ?`)
  const keep = db.prepare<[string, string, string]>(`INSERT OR IGNORE INTO policy_sets (slot, version, doc) VALUES (?, ?, ?)`)
  const activate = withEvents(db, write, (set: PolicySetRecord, expected: string | null) => {
    const doc = JSON.stringify(set)
    const ok = expected === null ? insert.run(set.version, doc).changes === 1 : swap.run(set.version, doc, expected).changes === 1
    if (ok) keep.run(`v:${set.version}`, set.version, doc)
    return ok
  }, (changed) => changed)
  return {
    async getActive() {
      const row = active.get()
      return row && (JSON.parse(row.doc) as PolicySetRecord)
    },
    async getVersion(version) {
      const row = byVersion.get(`v:${version}`)
      return row && (JSON.parse(row.doc) as PolicySetRecord)
    },
    async activate(set, expectedVersion, events) {
      return activate(events, set, expectedVersion)
    },
  }
}
