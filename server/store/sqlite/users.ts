import type { Database } from 'better-sqlite3'
import type { PasskeyRecord, UserRecord, UserStore } from '../ports.ts'
import { rethrowConflict } from './conflict.ts'
import { type WriteEvents, withEvents } from './outbox.ts'
import { INSERT_PASSKEY, type PasskeyRow, toPasskeyRow } from './passkeyRow.ts'

export interface UserRow {
  id: string
  handle: string
  display_name: string
  webauthn_user_id: string
  roles: string
  created_at: number
}

export function toUserRecord(r: UserRow): UserRecord {
  return { id: r.id, handle: r.handle, displayName: r.display_name, webauthnUserId: r.webauthn_user_id,
    roles: JSON.parse(r.roles) as string[], createdAt: r.created_at }
}

const CONFLICTS = { 'users.handle': 'handle', 'passkeys.id': 'credential' } as const

export function sqliteUsers(db: Database, write: WriteEvents): UserStore {
  const insertUser = db.prepare<[UserRow]>(`INSERT INTO users
    (id, handle, display_name, webauthn_user_id, roles, created_at)
    VALUES (@id, @handle, @display_name, @webauthn_user_id, @roles, @created_at)`)
  const insertPasskey = db.prepare<[PasskeyRow]>(INSERT_PASSKEY)
  const byId = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?')
  const byHandle = db.prepare<[string], UserRow>('SELECT * FROM users WHERE handle = ?')
  const updateRoles = db.prepare<[string, string]>('UPDATE users SET roles = ? WHERE id = ?')
  // Both rows or neither: a user without a passkey could never sign in, and would squat on the handle.
  const create = withEvents(db, write, (user: UserRecord, passkey: PasskeyRecord) => {
    insertUser.run({ id: user.id, handle: user.handle, display_name: user.displayName,
      webauthn_user_id: user.webauthnUserId, roles: JSON.stringify(user.roles), created_at: user.createdAt })
    insertPasskey.run(toPasskeyRow(passkey))
  })
  const setRoles = withEvents(db, write, (id: string, roles: string[]) =>
    updateRoles.run(JSON.stringify(roles), id).changes > 0, (changed) => changed)
  return {
    async createWithPasskey(user, passkey, events) {
      try {
        create(events, user, passkey)
      } catch (err) {
        rethrowConflict(err, CONFLICTS)
      }
    },
    async get(id) {
      const row = byId.get(id)
      return row && toUserRecord(row)
    },
    async getByHandle(handle) {
      const row = byHandle.get(handle)
      return row && toUserRecord(row)
    },
    async setRoles(id, roles, events) {
      return setRoles(events, id, roles)
    },
  }
}
