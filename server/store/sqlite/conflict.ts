import Database from 'better-sqlite3'
import { StoreConflictError } from '../errors.ts'

type ConflictField = StoreConflictError['field']

/**
 * Turns a UNIQUE / PRIMARY KEY violation into a StoreConflictError and rethrows anything else unchanged.
 * SQLite names the colliding `table.column` only in the message text, so that is what `fields` is keyed
 * by; a column not listed there is reported as 'id'.
 */
export function rethrowConflict(err: unknown, fields: Record<string, ConflictField> = {}): never {
  if (err instanceof Database.SqliteError
    && (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
    const column = /constraint failed: (\S+)/.exec(err.message)?.[1] ?? ''
    throw new StoreConflictError(fields[column] ?? 'id')
  }
  throw err
}
