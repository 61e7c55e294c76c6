import type { Database } from 'better-sqlite3'
import type { ApiClientRecord, ApiClientStore } from '../ports.ts'
import { rethrowConflict } from './conflict.ts'
import { type WriteEvents, withEvents } from './outbox.ts'

interface ApiClientRow {
  id: string
  name: string
  roles: string
  key_hash: string
  created_at: number
  revoked_at: number | null
}

function toRecord(r: ApiClientRow): ApiClientRecord {
  return { id: r.id, name: r.name, roles: JSON.parse(r.roles) as string[], keyHash: r.key_hash,
    createdAt: r.created_at, revokedAt: r.revoked_at }
}

export function sqliteApiClients(db: Database, write: WriteEvents): ApiClientStore {
  const insert = db.prepare<[ApiClientRow]>(`INSERT INTO api_clients (id, name, roles, key_hash, created_at,
    revoked_at) VALUES (@id, @name, @roles, @key_hash, @created_at, @revoked_at)`)
  const byId = db.prepare<[string], ApiClientRow>('SELECT * FROM api_clients WHERE id = ?')
  const byKeyHash = db.prepare<[string], ApiClientRow>('SELECT * FROM api_clients WHERE key_hash = ?')
  const all = db.prepare<[], ApiClientRow>('SELECT * FROM api_clients ORDER BY created_at, id')
  // Only an active client is revoked, so the first revocation time is the one kept.
  const revoke = db.prepare<[number, string]>(
    'UPDATE api_clients SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
  const create = withEvents(db, write, (c: ApiClientRecord) => {
    insert.run({ id: c.id, name: c.name, roles: JSON.stringify(c.roles), key_hash: c.keyHash,
      created_at: c.createdAt, revoked_at: c.revokedAt })
  })
  const revokeOne = withEvents(db, write, (id: string, at: number) => revoke.run(at, id).changes === 1, (r) => r)
  return {
    async create(c, events) {
      try {
        create(events, c)
      } catch (err) {
        rethrowConflict(err)
      }
    },
    async get(id) {
      const row = byId.get(id)
      return row && toRecord(row)
    },
    async getByKeyHash(keyHash) {
      const row = byKeyHash.get(keyHash)
      return row && toRecord(row)
    },
    async list() {
      return all.all().map(toRecord)
    },
    async revoke(id, at, events) {
      return revokeOne(events, id, at)
    },
  }
}
