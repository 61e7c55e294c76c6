import type { Database } from 'better-sqlite3'
import type { IdempotencyBegin, IdempotencyStore, StoredResponse } from '../ports.ts'

interface IdempotencyRow {
  fingerprint: string
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
  const claim = db.prepare<[string, string, number]>(`INSERT INTO idempotency (key, fingerprint, expires_at)
    VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`)
  const read = db.prepare<[string], IdempotencyRow>(`SELECT fingerprint, response_status, response_content_type,
    response_body FROM idempotency WHERE key = ?`)
  const finish = db.prepare<[number, string, string, string]>(`UPDATE idempotency
    SET response_status = ?, response_content_type = ?, response_body = ? WHERE key = ?`)
  const release = db.prepare<[string]>('DELETE FROM idempotency WHERE key = ?')
  // IMMEDIATE: the expired-row check, the claim and the read see one state even across processes.
  const begin = db.transaction((key: string, fingerprint: string, now: number, ttlMs: number): IdempotencyBegin => {
    dropExpired.run(key, now)
    if (claim.run(key, fingerprint, now + ttlMs).changes === 1) return { state: 'new' }
    return toBegin(read.get(key)!)
  })
  return {
    async begin(key, fingerprint, now, ttlMs) {
      gc()
      return begin.immediate(key, fingerprint, now, ttlMs)
    },
    async complete(key, r: StoredResponse) {
      finish.run(r.status, r.contentType, r.body, key)
    },
    async abandon(key) {
      release.run(key)
    },
  }
}
