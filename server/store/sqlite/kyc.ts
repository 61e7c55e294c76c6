import type { Database } from 'better-sqlite3'
import type { KycAccessTokenRecord, KycCredentialRecord, KycCredentialStatus, KycOfferRecord, KycStore, KycSubjectRecord } from '../ports.ts'
import { rethrowConflict } from './conflict.ts'
import { type WriteEvents, withEvents } from './outbox.ts'
import { limited } from './limited.ts'

interface SubjectRow {
  ref_hash: string
  sealed: string | null
  submitted_by: string
  created_at: number
  expires_at: number
}

interface CredentialRow {
  id: string
  subject_ref_hash: string
  status_list_id: string
  status_index: number
  status: string
  issued_at: number
  doc: string
}

const subjectOf = (r: SubjectRow): KycSubjectRecord =>
  ({ refHash: r.ref_hash, sealed: r.sealed, submittedBy: r.submitted_by, createdAt: r.created_at, expiresAt: r.expires_at })

// The record is one JSON document; `status` is authoritative in its column (status changes touch only it and the doc).
const credentialOf = (r: CredentialRow): KycCredentialRecord => ({ ...(JSON.parse(r.doc) as KycCredentialRecord), status: r.status as KycCredentialStatus })

/**
 * Subjects, offers, access tokens, c_nonces (single use, one table keyed by kind) and issued credentials. Expired
 * rows go with the store's general sweep (gc.ts); until then a subject past its expiry reads as absent.
 */
export function sqliteKyc(db: Database, write: WriteEvents, gc: () => void, now: () => number): KycStore {
  const insertSubject = db.prepare<[SubjectRow]>(`INSERT INTO kyc_subjects (ref_hash, sealed, submitted_by, created_at, expires_at)
    VALUES (@ref_hash, @sealed, @submitted_by, @created_at, @expires_at)`)
  const subjectByHash = db.prepare<[string, number], SubjectRow>('SELECT * FROM kyc_subjects WHERE ref_hash = ? AND expires_at > ?')
  const erase = db.prepare<[string]>('UPDATE kyc_subjects SET sealed = NULL WHERE ref_hash = ? AND sealed IS NOT NULL')
  const putOnce = db.prepare<[string, string, string, number]>('INSERT INTO kyc_single_use (kind, key, doc, expires_at) VALUES (?, ?, ?, ?)')
  const getOnce = db.prepare<[string, string], { doc: string }>('SELECT doc FROM kyc_single_use WHERE kind = ? AND key = ?')
  // One statement: of concurrent takers (any process) exactly one gets the row.
  const takeOnce = db.prepare<[string, string], { doc: string }>('DELETE FROM kyc_single_use WHERE kind = ? AND key = ? RETURNING doc')
  const insertCredential = db.prepare<[CredentialRow]>(`INSERT OR IGNORE INTO kyc_credentials (id, subject_ref_hash, status_list_id,
    status_index, status, issued_at, doc) VALUES (@id, @subject_ref_hash, @status_list_id, @status_index, @status, @issued_at, @doc)`)
  const credentialById = db.prepare<[string], CredentialRow>('SELECT * FROM kyc_credentials WHERE id = ?')
  const credentialByEntry = db.prepare<[string, number], CredentialRow>(
    'SELECT * FROM kyc_credentials WHERE status_list_id = ? AND status_index = ?')
  const bySubject = limited<[string], CredentialRow>(db,
    'SELECT * FROM kyc_credentials WHERE subject_ref_hash = ? ORDER BY issued_at DESC, id DESC LIMIT {limit}')
  const setStatus = db.prepare<[string, string, string]>('UPDATE kyc_credentials SET status = ?, doc = ? WHERE id = ?')
  const entries = db.prepare<[string], { status_index: number; status: string }>(
    `SELECT status_index, status FROM kyc_credentials WHERE status_list_id = ? AND status != 'valid'`)
  const usage = db.prepare<[string], number>('SELECT count(*) FROM kyc_credentials WHERE status_list_id = ?').pluck()

  const createSubject = withEvents(db, write, (s: KycSubjectRecord) => {
    insertSubject.run({ ref_hash: s.refHash, sealed: s.sealed, submitted_by: s.submittedBy, created_at: s.createdAt, expires_at: s.expiresAt })
  })
  const eraseOne = withEvents(db, write, (refHash: string) => erase.run(refHash).changes === 1, (changed) => changed)
  const putSingleUse = withEvents(db, write, (kind: string, key: string, doc: unknown, expiresAt: number) => {
    putOnce.run(kind, key, JSON.stringify(doc), expiresAt)
  })
  // The UNIQUE (status_list_id, status_index) constraint is what makes an entry go to one credential only.
  const create = withEvents(db, write, (c: KycCredentialRecord) => insertCredential.run({ id: c.id, subject_ref_hash: c.subjectRefHash,
    status_list_id: c.statusListId, status_index: c.statusIndex, status: c.status, issued_at: c.issuedAt, doc: JSON.stringify(c) }).changes === 1,
  (created) => created)
  const transition = withEvents(db, write, (id: string, from: KycCredentialStatus[], to: KycCredentialStatus, at: number) => {
    const row = credentialById.get(id)
    if (!row || !from.includes(row.status as KycCredentialStatus)) return undefined
    const next: KycCredentialRecord = { ...credentialOf(row), status: to, updatedAt: at }
    setStatus.run(to, JSON.stringify(next), id)
    return next
  }, (r) => r !== undefined)
  const single = <T>(kind: string) => ({
    put: async (key: string, doc: T, expiresAt: number, events?: Parameters<typeof putSingleUse>[0]) => {
      gc()
      try {
        putSingleUse(events, kind, key, doc, expiresAt)
      } catch (err) {
        rethrowConflict(err)
      }
    },
    get: async (key: string) => {
      const row = getOnce.get(kind, key)
      return row && (JSON.parse(row.doc) as T)
    },
    take: async (key: string) => {
      const row = takeOnce.get(kind, key)
      return row && (JSON.parse(row.doc) as T)
    },
  })
  const offers = single<KycOfferRecord>('offer')
  const tokens = single<KycAccessTokenRecord>('token')
  const nonces = single<{ expiresAt: number }>('nonce')

  return {
    async putSubject(s, events) {
      gc()
      try {
        createSubject(events, s)
      } catch (err) {
        rethrowConflict(err)
      }
    },
    async getSubject(refHash) {
      const row = subjectByHash.get(refHash, now())
      return row && subjectOf(row)
    },
    async eraseSubject(refHash, events) {
      return eraseOne(events, refHash)
    },
    createOffer: (o, events) => offers.put(o.codeHash, o, o.expiresAt, events),
    consumeOffer: (codeHash) => offers.take(codeHash),
    putAccessToken: (t, events) => tokens.put(t.tokenHash, t, t.expiresAt, events),
    getAccessToken: (tokenHash) => tokens.get(tokenHash),
    consumeAccessToken: (tokenHash) => tokens.take(tokenHash),
    putNonce: (nonce, expiresAt) => nonces.put(nonce, { expiresAt }, expiresAt),
    async consumeNonce(nonce) {
      return (await nonces.take(nonce))?.expiresAt
    },
    async createCredential(c, events) {
      try {
        return create(events, c)
      } catch (err) {
        rethrowConflict(err)
      }
    },
    async getCredential(id) {
      const row = credentialById.get(id)
      return row && credentialOf(row)
    },
    async getCredentialByStatusEntry(listId, index) {
      const row = credentialByEntry.get(listId, index)
      return row && credentialOf(row)
    },
    async listCredentials(subjectRefHash, limit) {
      return bySubject(limit).all(subjectRefHash).map(credentialOf)
    },
    async setCredentialStatus(id, from, to, at, events) {
      return transition(events, id, from, to, at)
    },
    async statusEntries(listId) {
      return entries.all(listId).map((r) => ({ index: r.status_index, status: r.status as KycCredentialStatus }))
    },
    async statusListUsage(listId) {
      return usage.get(listId) ?? 0
    },
  }
}
