import { StoreUnavailableError } from '../errors.ts'
import type { Store } from '../ports.ts'
import { beginImmediateNow, runBatch } from './batch.ts'
import { openSqliteStoreWithDb, type OpenSqliteStoreOptions } from './openSqliteStore.ts'
import type { Call } from './threaded/protocol.ts'
import { drainOutbox, type SqliteOutbox } from './outbox.ts'

/** Where a grouped store counts its batches and calls, for tests (not part of the Store port). */
export const GROUP_STATS = Symbol.for('sigil.sqlite.groupStats')

/** While another connection holds the write lock, a batch is tried again this often (ms), the loop running meanwhile. */
const BUSY_RETRY_MS = 1

/**
 * The adapter's methods that only read. When no batch is waiting, such a call runs at once on the connection instead
 * of starting a batch of its own: in WAL mode a read needs no write lock and sees what has committed, so a lone read
 * needs neither a transaction, a savepoint nor a turn of the event loop. When calls are queued it joins their batch
 * instead: there it shares the batch's read lock, where a statement that runs alone takes and drops that lock
 * itself, with system calls (under load the two ways measured alike in paired runs). grouped.test.ts runs
 * every one of them on a connection set `query_only`, so a method listed here that writes fails a test.
 */
export const SQLITE_READS: Readonly<Record<string, readonly string[]>> = {
  users: ['get', 'getByHandle'],
  passkeys: ['get', 'getWithOwner', 'listByUser'],
  sessions: ['get', 'getWithUser', 'listByUser'],
  recovery: ['getSalt', 'remaining'],
  apiClients: ['get', 'getByKeyHash', 'list'],
  audit: ['list', 'latestOfType'],
  outbox: ['pending'],
  webhooks: ['getSubscription', 'listSubscriptions', 'getDelivery', 'listDeliveries'],
  approvals: ['get', 'listPending', 'listRecent', 'approvedAmounts', 'pendingAmounts'],
  policySets: ['getActive', 'getVersion'],
  kyc: ['getSubject', 'getAccessToken', 'getCredential', 'getCredentialByStatusEntry', 'listCredentials', 'statusEntries', 'statusListUsage'],
}

interface Pending { resolve: (value: unknown) => void; reject: (err: unknown) => void }

/**
 * The SQLite store on the request thread with group commit (SIGIL_SQLITE_MODE=group, the server's default).
 *
 * The calls made during one turn of the event loop are held until the turn's I/O has been handled
 * (setImmediate), then run as one batch: one `BEGIN IMMEDIATE … COMMIT`, a SAVEPOINT per call (batch.ts). Each
 * caller is answered after the COMMIT, so nobody is answered with a write that could still be lost, and a turn's
 * dozen commits cost one. A batch runs from start to COMMIT inside one callback and the microtasks after it (the
 * adapter's methods are synchronous inside), so no other code touches the connection while its transaction is
 * open.
 *
 * This is the store thread's batching (threaded/) without the thread: no message passing or copying of values,
 * and no second thread competing for the cores. A batch that finds the write lock taken by another connection (the
 * WAL checkpointer's restart, the CLI, another process) does not wait inside SQLite, which would sleep the event
 * loop in steps of 1, 2, 5 ms…: it is tried again a millisecond later while the loop serves requests.
 *
 * `outbox.drain` reads outside the batches and awaits its handler; the removal of what it handed on is a call in the
 * next batch, so it shares that batch's commit and never waits inside SQLite for the write lock.
 */
export function openGroupedSqliteStore(opts: OpenSqliteStoreOptions): Store {
  const { store: raw, db } = openSqliteStoreWithDb(opts)
  const pending = new Map<number, Pending>()
  let queue: Call[] = []
  let seq = 0
  let scheduled = false
  let closed: Error | undefined
  /** The batch running, if any (its awaits are microtasks; close() waits for it). */
  let running: Promise<void> | undefined

  const settle = (n: number, ok: boolean, value: unknown): void => {
    const p = pending.get(n)
    pending.delete(n)
    if (ok) p?.resolve(value)
    else p?.reject(value)
  }

  /** The connection's own busy timeout, as openSqliteStore set it. */
  const busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number
  const stats = { batches: 0, calls: 0, busyRetries: 0, reads: 0 }
  /** When the batch waiting for the write lock first found it taken. */
  let busySince: number | undefined
  /** Fails every call waiting for the next batch. */
  const failQueued = (err: unknown): void => {
    busySince = undefined
    const calls = queue
    queue = []
    for (const [n] of calls) settle(n, false, new StoreUnavailableError(err))
  }
  const flush = (): void => {
    scheduled = false
    if (queue.length === 0) return
    // The write lock is taken without waiting: if another connection holds it (the checkpointer restarting the WAL,
    // another process), the batch is tried again shortly while the loop goes on serving requests, instead of SQLite
    // sleeping the thread. Calls made meanwhile join the batch. After the connection's busy timeout, as SQLite would,
    // the calls fail (StoreUnavailableError, 503 store_unavailable).
    let begun: boolean
    try {
      begun = beginImmediateNow(db, busyTimeoutMs)
    } catch (err) {
      failQueued(err)
      return
    }
    if (!begun) {
      const now = performance.now()
      busySince ??= now
      if (now - busySince >= busyTimeoutMs) {
        failQueued(new Error('the database stayed locked by another connection'))
        return
      }
      stats.busyRetries++
      scheduled = true
      setTimeout(flush, BUSY_RETRY_MS)
      return
    }
    busySince = undefined
    const calls = queue
    queue = []
    stats.batches++
    stats.calls += calls.length
    const batch: Promise<void> = runBatch(db, raw, calls, undefined, { begun: true }).then(
      (outcomes) => { for (const [n, ok, value] of outcomes) settle(n, ok, value) },
      // Not expected (runBatch answers every call), but no caller may be left waiting for ever.
      (err: unknown) => { for (const [n] of calls) settle(n, false, new StoreUnavailableError(err)) },
    ).finally(() => { if (running === batch) running = undefined })
    running = batch
  }

  const call = (area: string, method: string, args: unknown[]): Promise<unknown> => {
    if (closed) return Promise.reject(new StoreUnavailableError(closed))
    return new Promise((resolve, reject) => {
      const n = ++seq
      pending.set(n, { resolve, reject })
      queue.push([n, area, method, args])
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
  }

  /**
   * A read: at once when nothing is queued (it sees what has committed); otherwise in the next batch, as any call.
   * Between the microtasks of a running batch, whose transaction is open, it would also see that batch's writes
   * before they commit, so then it waits for the next batch too. While a batch waits for another connection's write
   * lock, reads need not wait with it.
   */
  const read = (fn: (...a: unknown[]) => Promise<unknown>, target: object, area: string, method: string, args: unknown[]): Promise<unknown> => {
    if (closed) return Promise.reject(new StoreUnavailableError(closed))
    if (db.inTransaction || (queue.length > 0 && busySince === undefined)) return call(area, method, args)
    stats.reads++
    try {
      return fn.apply(target, args)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  const store: Record<string, unknown> = { kind: raw.kind }
  for (const [area, value] of Object.entries(raw)) {
    if (value === null || typeof value !== 'object') continue
    const target = value as Record<string, unknown>
    const methods = Object.keys(target).filter((k) => typeof target[k] === 'function')
    const reads = SQLITE_READS[area] ?? []
    store[area] = Object.fromEntries(methods.map((method) => {
      const fn = target[method] as (...a: unknown[]) => Promise<unknown>
      return [method, reads.includes(method)
        ? (...args: unknown[]) => read(fn, target, area, method, args)
        : (...args: unknown[]) => call(area, method, args)]
    }))
  }
  // A drain reads outside the batches (no lock needed) and awaits its handler; then the events handed on are removed
  // by a call in the next batch, so that the removal shares a commit and never waits inside SQLite for the lock.
  const outbox = (raw as unknown as { outbox: SqliteOutbox }).outbox
  ;(store.outbox as Record<string, unknown>).drain = async (...[handle, limit]: Parameters<Store['outbox']['drain']>) => {
    if (closed) throw new StoreUnavailableError(closed)
    return drainOutbox(outbox, handle, limit, (seq) => call('outbox', 'removeThrough', [seq]))
  }
  store.ping = () => call('', 'ping', [])
  Object.defineProperty(store, GROUP_STATS, { value: stats })
  store.close = async () => {
    if (closed) return
    // Calls already made still run and commit (waiting for the write lock if need be); later ones fail.
    closed = new Error('store closed')
    for (;;) {
      if (!scheduled) flush()
      await running
      if (queue.length === 0) break
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS))
    }
    await raw.close()
  }
  return store as unknown as Store
}
