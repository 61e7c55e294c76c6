import type { Database } from 'better-sqlite3'
import type { PasskeyRecord, PasskeyStore, RecordPasskeyUse, RemovePasskeyResult, UserStore } from '../ports.ts'
import { rethrowConflict } from './conflict.ts'
import { type WriteEvents, withEvents } from './outbox.ts'
import { INSERT_PASSKEY, type PasskeyRow, toPasskeyRecord, toPasskeyRow } from './passkeyRow.ts'

type UseParams = Omit<RecordPasskeyUse, 'backedUp'> & { id: string; backedUp: number }

export function sqlitePasskeys(db: Database, write: WriteEvents, users: Pick<UserStore, 'get'>): PasskeyStore {
  const insert = db.prepare<[PasskeyRow]>(INSERT_PASSKEY)
  const byId = db.prepare<[string], PasskeyRow>('SELECT * FROM passkeys WHERE id = ?')
  const byUser = db.prepare<[string], PasskeyRow>(
    'SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, id')
  // Compare-and-set: two logins that read the same counter cannot both advance it (WebAuthn §6.1.1).
  const use = db.prepare<[UseParams]>(`UPDATE passkeys
    SET counter = @counter, backed_up = @backedUp, last_used_at = @lastUsedAt
    WHERE id = @id AND counter = @expectedCounter`)
  const updateName = db.prepare<[string, string, string]>('UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?')
  const probe = db.prepare<[string, string, string], { found: number; total: number }>(`SELECT
    EXISTS (SELECT 1 FROM passkeys WHERE id = ? AND user_id = ?) AS found,
    (SELECT count(*) FROM passkeys WHERE user_id = ?) AS total`)
  const deleteOne = db.prepare<[string]>('DELETE FROM passkeys WHERE id = ?')
  // IMMEDIATE takes the write lock before the count, so two removals cannot both see "two left".
  const removeKeepingOne = withEvents(db, write, (userId: string, id: string, keep?: readonly string[]): RemovePasskeyResult => {
    const { found, total } = probe.get(id, userId, userId)!
    if (!found) return 'not_found'
    if (total <= 1) return 'last_passkey'
    if (keep && !byUser.all(userId).some((p) => p.id !== id && keep.includes(p.id))) return 'last_passkey'
    deleteOne.run(id)
    return 'removed'
  }, (r) => r === 'removed')
  const add = withEvents(db, write, (passkey: PasskeyRecord) => { insert.run(toPasskeyRow(passkey)) })
  const rename = withEvents(db, write, (userId: string, id: string, name: string) =>
    updateName.run(name, id, userId).changes === 1, (renamed) => renamed)
  return {
    async add(passkey, events) {
      try {
        add(events, passkey)
      } catch (err) {
        rethrowConflict(err, { 'passkeys.id': 'credential' })
      }
    },
    async get(id) {
      const row = byId.get(id)
      return row && toPasskeyRecord(row)
    },
    async getWithOwner(id) {
      const row = byId.get(id)
      if (!row) return undefined
      const passkey = toPasskeyRecord(row)
      return { passkey, user: await users.get(passkey.userId) }
    },
    async listByUser(userId) {
      return byUser.all(userId).map(toPasskeyRecord)
    },
    async recordUse(id, u) {
      return use.run({ id, expectedCounter: u.expectedCounter, counter: u.counter,
        backedUp: u.backedUp ? 1 : 0, lastUsedAt: u.lastUsedAt }).changes === 1
    },
    async rename(userId, id, name, events) {
      return rename(events, userId, id, name)
    },
    async removeKeepingOne(userId, id, events, keep) {
      return removeKeepingOne(events, userId, id, keep)
    },
  }
}
