import type { Database } from 'better-sqlite3'
import type { SessionKind, SessionRecord, SessionStore } from '../ports.ts'
import { rethrowConflict } from './conflict.ts'
import { type WriteEvents, withEvents } from './outbox.ts'
import { toUserRecord } from './users.ts'

interface SessionRow {
  id_hash: string
  ref: string
  user_id: string
  kind: string
  created_at: number
  last_seen_at: number
  verified_at: number
  passkey_id: string
  absolute_expires_at: number
  user_agent: string
}

function toRecord(r: SessionRow): SessionRecord {
  return { idHash: r.id_hash, ref: r.ref, userId: r.user_id, kind: r.kind as SessionKind,
    createdAt: r.created_at, lastSeenAt: r.last_seen_at, verifiedAt: r.verified_at, passkeyId: r.passkey_id,
    absoluteExpiresAt: r.absolute_expires_at, userAgent: r.user_agent }
}

export function sqliteSessions(db: Database, gc: () => void, write: WriteEvents): SessionStore {
  const insert = db.prepare<[SessionRow]>(`INSERT INTO sessions (id_hash, ref, user_id, kind, created_at,
    last_seen_at, verified_at, passkey_id, absolute_expires_at, user_agent) VALUES (@id_hash, @ref, @user_id, @kind,
    @created_at, @last_seen_at, @verified_at, @passkey_id, @absolute_expires_at, @user_agent)`)
  const byIdHash = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id_hash = ?')
  const withUser = db.prepare<[string], SessionRow & { u_id: string | null; u_handle: string; u_display_name: string;
    u_webauthn_user_id: string; u_roles: string; u_created_at: number }>(`SELECT s.*, u.id AS u_id, u.handle AS u_handle,
    u.display_name AS u_display_name, u.webauthn_user_id AS u_webauthn_user_id, u.roles AS u_roles, u.created_at AS u_created_at
    FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`)
  // COALESCE keeps a column whose patch field was not given.
  const patch = db.prepare<[number | null, number | null, string | null, string]>(`UPDATE sessions
    SET last_seen_at = COALESCE(?, last_seen_at), verified_at = COALESCE(?, verified_at), passkey_id = COALESCE(?, passkey_id)
    WHERE id_hash = ?`)
  const deleteOne = db.prepare<[string]>('DELETE FROM sessions WHERE id_hash = ?')
  const deleteRef = db.prepare<[string, string]>('DELETE FROM sessions WHERE user_id = ? AND ref = ?')
  // `IS NOT NULL` matches every row, so an absent exceptIdHash deletes them all.
  const deleteAll = db.prepare<[string, string | null]>('DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ?')
  const byUser = db.prepare<[string], SessionRow>(
    'SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at, id_hash')
  const create = withEvents(db, write, (s: SessionRecord) => {
    insert.run({ id_hash: s.idHash, ref: s.ref, user_id: s.userId, kind: s.kind, created_at: s.createdAt,
      last_seen_at: s.lastSeenAt, verified_at: s.verifiedAt, passkey_id: s.passkeyId, absolute_expires_at: s.absoluteExpiresAt,
      user_agent: s.userAgent })
  })
  const byRef = withEvents(db, write, (userId: string, ref: string) => deleteRef.run(userId, ref).changes === 1,
    (deleted) => deleted)
  const all = withEvents(db, write, (userId: string, except: string | null) => deleteAll.run(userId, except).changes)
  return {
    async create(s, events) {
      gc()
      try {
        create(events, s)
      } catch (err) {
        rethrowConflict(err)
      }
    },
    async get(idHash) {
      const row = byIdHash.get(idHash)
      return row && toRecord(row)
    },
    async getWithUser(idHash) {
      const r = withUser.get(idHash)
      if (!r) return undefined
      const user = r.u_id === null ? undefined : toUserRecord({ id: r.u_id, handle: r.u_handle, display_name: r.u_display_name,
        webauthn_user_id: r.u_webauthn_user_id, roles: r.u_roles, created_at: r.u_created_at })
      return { session: toRecord(r), user }
    },
    async update(idHash, p) {
      return patch.run(p.lastSeenAt ?? null, p.verifiedAt ?? null, p.passkeyId ?? null, idHash).changes === 1
    },
    async delete(idHash) {
      return deleteOne.run(idHash).changes === 1
    },
    async deleteByRef(userId, ref, events) {
      return byRef(events, userId, ref)
    },
    async deleteAllForUser(userId, exceptIdHash, events) {
      return all(events, userId, exceptIdHash ?? null)
    },
    async listByUser(userId) {
      return byUser.all(userId).map(toRecord)
    },
  }
}
