import type Database from 'better-sqlite3'
import { StoreUnavailableError } from '../errors.ts'
import type { Store } from '../ports.ts'
import type { Call } from './threaded/protocol.ts'

/**
 * `BEGIN IMMEDIATE` without waiting: false when another connection holds the write lock (SQLITE_BUSY), where
 * the connection's busy timeout would sleep the thread in steps of 1, 2, 5, 10 ms… (the checkpointer's WAL
 * restart holds the lock for a millisecond or two; another process, the CLI, may hold it longer). Other errors
 * are thrown. The busy timeout is set back for every other statement.
 */
export function beginImmediateNow(db: Database.Database, busyTimeoutMs: number): boolean {
  // The pragmas are not prepared statements: SQLite applies `PRAGMA busy_timeout = N` when the statement is compiled,
  // so a prepared one would set the timeout once and never again. The two cost about 2-3 µs a batch.
  db.exec('PRAGMA busy_timeout = 0')
  try {
    controlOf(db).begin.run()
    return true
  } catch (err) {
    // SQLITE_BUSY, or an extended code of it (SQLITE_BUSY_RECOVERY while another connection rebuilds the WAL index).
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false
    throw err
  } finally {
    db.exec(`PRAGMA busy_timeout = ${Math.floor(busyTimeoutMs)}`)
  }
}

/**
 * The batch's transaction control as prepared statements, one set per connection: `db.exec` would parse the SQL
 * text at every use (about 1 µs each, five to fifteen times a batch).
 */
interface Control { begin: Database.Statement; commit: Database.Statement; savepoint: Database.Statement; release: Database.Statement; rollbackTo: Database.Statement }
const controls = new WeakMap<Database.Database, Control>()
function controlOf(db: Database.Database): Control {
  let c = controls.get(db)
  if (!c) {
    c = { begin: db.prepare('BEGIN IMMEDIATE'), commit: db.prepare('COMMIT'), savepoint: db.prepare('SAVEPOINT call'),
      release: db.prepare('RELEASE call'), rollbackTo: db.prepare('ROLLBACK TO call') }
    controls.set(db, c)
  }
  return c
}

/** The outcome of one call of a batch, with the error as thrown. */
export type BatchOutcome = [seq: number, ok: true, value: unknown] | [seq: number, ok: false, error: unknown]

/** Calls a store method by area ('' for the store's own methods, such as ping); throws if there is none. */
export function callStore(store: Store, area: string, method: string, args: unknown[]): Promise<unknown> {
  const target = (area === '' ? store : (store as unknown as Record<string, unknown>)[area]) as Record<string, unknown> | undefined
  const fn = target?.[method]
  if (typeof fn !== 'function') throw new Error(`the store has no method ${area}.${method}`)
  return (fn as (...a: unknown[]) => Promise<unknown>).apply(target, args)
}

/**
 * Group commit: runs a batch of calls inside one `BEGIN IMMEDIATE … COMMIT`, each call inside its own SAVEPOINT,
 * so a call that fails is rolled back alone and the others still commit. The outcomes are returned only after the
 * COMMIT: nobody may be answered with a write that could still be lost. If the COMMIT fails (or a savepoint
 * statement does), the transaction is rolled back and every call fails.
 *
 * The adapter's methods are synchronous inside (they return settled promises), so awaiting one takes only
 * microtasks. A call that `takeOver` claims is left to it and gets no outcome here (the store thread starts
 * outbox drains that way, in their place in the batch).
 */
export async function runBatch(db: Database.Database, store: Store, calls: Call[], takeOver?: (call: Call) => boolean,
  opts: { begun?: boolean } = {}): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = []
  let control: Control
  try {
    // With `begun`, beginImmediateNow has already prepared these, so only a connection that never began can fail here.
    control = controlOf(db)
    if (!opts.begun) control.begin.run()
  } catch (err) {
    const error = new StoreUnavailableError(err)
    return calls.map(([seq]) => [seq, false, error])
  }
  const taken = new Set<number>()
  try {
    for (const call of calls) {
      const [seq, area, method, args] = call
      if (takeOver?.(call)) {
        taken.add(seq)
        continue
      }
      control.savepoint.run()
      try {
        const value = await callStore(store, area, method, args)
        control.release.run()
        outcomes.push([seq, true, value])
      } catch (err) {
        // A failed statement may already have ended the transaction (SQLITE_FULL, an I/O error): then there is
        // no savepoint to go back to, and the COMMIT below fails the whole batch.
        if (db.inTransaction) {
          control.rollbackTo.run()
          control.release.run()
        }
        outcomes.push([seq, false, err])
      }
    }
    control.commit.run()
  } catch (err) {
    // The COMMIT or a statement of the batch's own (SAVEPOINT, RELEASE, ROLLBACK TO) failed: an I/O error, a full
    // disk. Nothing of the batch may be taken as written, and the transaction must not stay open, or every later
    // BEGIN would fail until a restart.
    try {
      if (db.inTransaction) db.exec('ROLLBACK')
    } catch { /* the connection itself is broken; the next BEGIN reports it */ }
    const error = new StoreUnavailableError(err)
    return calls.filter(([seq]) => !taken.has(seq)).map(([seq]): BatchOutcome => [seq, false, error])
  }
  return outcomes
}
