import type { Database } from 'better-sqlite3'
import type { RecoveryCodeSet, RecoveryCodeStore } from '../ports.ts'
import { type WriteEvents, withEvents } from './outbox.ts'

export function sqliteRecovery(db: Database, write: WriteEvents): RecoveryCodeStore {
  const deleteCodes = db.prepare<[string]>('DELETE FROM recovery_codes WHERE user_id = ?')
  const upsertSalt = db.prepare<[string, string, number]>(`INSERT INTO recovery_salts (user_id, salt, created_at)
    VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET salt = excluded.salt, created_at = excluded.created_at`)
  const insertCode = db.prepare<[string, string]>('INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?)')
  const salt = db.prepare<[string], string>('SELECT salt FROM recovery_salts WHERE user_id = ?').pluck()
  // The `used_at IS NULL` guard makes this a test-and-set: of concurrent uses of one code only one changes a row.
  const use = db.prepare<[number, string, string]>(
    'UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at IS NULL')
  const unused = db.prepare<[string], number>(
    'SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL').pluck()
  // One transaction, so no moment exists where old and new codes are both valid, or neither set is.
  const replace = withEvents(db, write, (userId: string, set: RecoveryCodeSet) => {
    deleteCodes.run(userId)
    upsertSalt.run(userId, set.salt, set.createdAt)
    for (const hash of set.hashes) insertCode.run(userId, hash)
  })
  const consume = withEvents(db, write, (userId: string, hash: string, usedAt: number) =>
    use.run(usedAt, userId, hash).changes === 1, (used) => used)
  return {
    async replace(userId, set, events) {
      replace(events, userId, set)
    },
    async getSalt(userId) {
      return salt.get(userId)
    },
    async consume(userId, hash, usedAt, events) {
      return consume(events, userId, hash, usedAt)
    },
    async remaining(userId) {
      return unused.get(userId) ?? 0
    },
  }
}
