import Database from 'better-sqlite3'
import type { Store } from '../ports.ts'
import { sqliteApiClients } from './apiClients.ts'
import { sqliteAudit, sqliteAuditAppender } from './audit.ts'
import { sqliteChallenges } from './challenges.ts'
import { createGc } from './gc.ts'
import { startCheckpointer, type CheckpointerHandle, type CheckpointerOptions } from './checkpointer.ts'
import { sqliteIdempotency } from './idempotency.ts'
import { migrate, migrations } from './migrations.ts'
import { sqlitePasskeys } from './passkeys.ts'
import { sqliteRateLimits } from './rateLimits.ts'
import { sqliteRecovery } from './recovery.ts'
import { sqliteSessions } from './sessions.ts'
import { sqliteUsers } from './users.ts'
import { outboxWriter, sqliteOutbox } from './outbox.ts'
import { sqliteWebhooks } from './webhooks.ts'
import { sqliteApprovals, sqlitePolicySets } from './approvals.ts'
import { sqliteKyc } from './kyc.ts'

/** How long a statement waits for another connection's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000

export interface OpenSqliteStoreOptions {
  /** A file path, or ':memory:' for a private in-memory database. */
  path: string
  /** Clock for garbage collection of expired rows (and hiding expired KYC subjects until then); defaults to Date.now. */
  now?: () => number
  /** How long to wait for another connection's write lock (default BUSY_TIMEOUT_MS; tests shorten it). */
  busyTimeoutMs?: number
  /** The WAL checkpointer's timing (tests shorten it). */
  checkpoint?: CheckpointerOptions
}

/**
 * Runs `fn` again while SQLite answers SQLITE_BUSY, for at most `timeoutMs`. Switching a file to WAL while another
 * process opens it at the same moment (several instances or workers starting on a new data directory) can answer
 * SQLITE_BUSY at once, without SQLite calling the busy handler: seen in 2 of 90 opens with six processes starting
 * together. Start-up only, so the wait between tries blocks the thread (1 ms, doubling up to 50 ms).
 */
export function retryWhileBusy<T>(fn: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs
  for (let wait = 1; ; wait = Math.min(2 * wait, 50)) {
    try {
      return fn()
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait)
    }
  }
}

/**
 * Opens (creating if needed) and migrates a SQLite store. Calls are synchronous inside; the methods return
 * promises only to share the port with the Redis adapter.
 */
export function openSqliteStore(opts: OpenSqliteStoreOptions): Store {
  return openSqliteStoreWithDb(opts).store
}

/**
 * The same, with the connection behind it: group commit (grouped.ts, and the store thread in threaded/) wraps
 * each batch of calls in one transaction on it.
 */
export function openSqliteStoreWithDb(opts: OpenSqliteStoreOptions): { store: Store; db: Database.Database; checkpointer: CheckpointerHandle | undefined } {
  const now = opts.now ?? Date.now
  const db = new Database(opts.path)
  try {
    // First, so that the pragmas and migrations below wait for another process instead of failing.
    db.pragma(`busy_timeout = ${Math.floor(opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS)}`)
    // WAL lets readers run beside the one writer; NORMAL sync is durable across crashes of the process in
    // WAL mode (only an OS crash can lose the last commits). In-memory databases cannot use WAL.
    if (!db.memory) retryWhileBusy(() => db.pragma('journal_mode = WAL'), opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS)
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    migrate(db, migrations, now())
  } catch (err) {
    db.close()
    throw err
  }
  const checkpointer = db.memory ? undefined : startCheckpointer(db, opts.path, opts.checkpoint)
  const gc = createGc(db, now)
  const ping = db.prepare('SELECT 1')
  const write = outboxWriter(db)
  const users = sqliteUsers(db, write)
  const rateLimits = sqliteRateLimits(db, gc)
  const appendAudit = sqliteAuditAppender(db)
  const store: Store = {
    kind: 'sqlite',
    challenges: sqliteChallenges(db, gc, rateLimits, write),
    users,
    passkeys: sqlitePasskeys(db, write, users),
    sessions: sqliteSessions(db, gc, write),
    recovery: sqliteRecovery(db, write),
    apiClients: sqliteApiClients(db, write),
    rateLimits,
    idempotency: sqliteIdempotency(db, gc),
    audit: sqliteAudit(db, appendAudit),
    outbox: sqliteOutbox(db, write),
    webhooks: sqliteWebhooks(db),
    approvals: sqliteApprovals(db, write, appendAudit),
    policySets: sqlitePolicySets(db, write),
    kyc: sqliteKyc(db, write, gc, now),
    async ping() {
      ping.get()
    },
    async close() {
      await checkpointer?.stop()
      db.close()
    },
  }
  return { store, db, checkpointer }
}
