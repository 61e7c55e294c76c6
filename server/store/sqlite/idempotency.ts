import type { Database } from 'better-sqlite3'
import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from '../ports.ts'

interface IdempotencyRow {
  fingerprint: string
  claimed_at: number
  response_status: number | null
  response_content_type: string | null
  response_body: string | null
}

function toBegin(r: IdempotencyRow): IdempotencyBegin {
  if (r.response_status === null) return { state: 'pending', fingerprint: r.fingerprint }
  return { state: 'done', fingerprint: r.fingerprint, response: { status: r.response_status,
    contentType: r.response_content_type ?? '', body: r.response_body ?? '' } }
}

export function sqliteIdempotency(db: Database, gc: () => void): IdempotencyStore {
  const dropExpired = db.prepare<[string, number]>('DELETE FROM idempotency WHERE key = ? AND expires_at < ?')
  const claim = db.prepare<[string, string, number, number]>(`INSERT INTO idempotency (key, fingerprint, expires_at, claimed_at)
    VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`)
  const read = db.prepare<[string], IdempotencyRow>(`SELECT fingerprint, claimed_at, response_status, response_content_type,
    response_body FROM idempotency WHERE key = ?`)
  const takeOver = db.prepare<[number, string, number]>(`UPDATE idempotency SET claimed_at = ?
    WHERE key = ? AND response_status IS NULL AND claimed_at = ?`)
  const finish = db.prepare<[number, string, string, string]>(`UPDATE idempotency
    SET response_status = ?, response_content_type = ?, response_body = ? WHERE key = ?`)
  const release = db.prepare<[string]>('DELETE FROM idempotency WHERE key = ?')
  // IMMEDIATE: the expired-row check, the claim and the read see one state even across processes.
  const begin = db.transaction((key: string, fingerprint: string, now: number, ttlMs: number, leaseMs: number | undefined): IdempotencyBegin => {
    dropExpired.run(key, now)
    if (claim.run(key, fingerprint, now + ttlMs, now).changes === 1) return { state: 'new' }
    const row = read.get(key)!
    // A pending claim from before claims had a time (0: an older process, mid-request perhaps) gets one now: its
    // lease runs from here, rather than counting as lapsed.
    if (row.response_status === null && row.claimed_at === 0 && takeOver.run(now, key, 0).changes === 1) return toBegin({ ...row, claimed_at: now })
    if (leaseMs !== undefined && row.response_status === null && row.fingerprint === fingerprint && row.claimed_at + leaseMs <= now
      && takeOver.run(now, key, row.claimed_at).changes === 1) return { state: 'new' }
    return toBegin(row)
  })
  return {
    async begin(key, fingerprint, now, ttlMs, leaseMs) {
      gc()
      return begin.immediate(key, fingerprint, now, ttlMs, leaseMs)
    },
    async complete(key, r: StoredResponse) {
      finish.run(r.status, r.contentType, r.body, key)
    },
    async abandon(key) {
      release.run(key)
    },
  }
}
