import { Worker } from 'node:worker_threads'
import { StoreUnavailableError } from '../../errors.ts'
import type { OutboxEvent, Store } from '../../ports.ts'
import { fromWireError, toWireError, type Call, type FromWorker, type ToWorker } from './protocol.ts'

export interface OpenThreadedSqliteStoreOptions {
  /** A file path, or ':memory:' (the database then lives and dies with the store thread). */
  path: string
  /** Called once if the store thread dies (not on close): the server logs it and exits, so that it is restarted. */
  onDown?: (err: Error) => void
}

/** Where a threaded store keeps its Worker, for tests that end the thread as a crash would. */
export const STORE_THREAD = Symbol.for('sigil.sqlite.storeThread')

interface Pending { resolve: (value: unknown) => void; reject: (err: Error) => void }

/**
 * The SQLite store run on a thread of its own (worker.ts): the same adapter, the same contract, but its work
 * (statements, commits, waits for another process's write lock) leaves the request thread, and the calls one
 * turn of the event loop makes are committed together. Each call is a message; the calls made during a turn
 * go as one batch when the turn ends (setImmediate), and each caller is answered after its batch committed.
 *
 * If the store thread dies, every call in flight and every later call fails with StoreUnavailableError
 * (503 store_unavailable, /readyz fails), and `onDown` is told: the process should then be restarted.
 */
export async function openThreadedSqliteStore(opts: OpenThreadedSqliteStoreOptions): Promise<Store> {
  // The worker is TypeScript: it registers tsx's loader in its own thread first, then loads worker.ts.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}) })`
  const worker = new Worker(bootstrap, { eval: true, workerData: { path: opts.path } })
  const pending = new Map<number, Pending>()
  const drainHandlers = new Map<number, (events: OutboxEvent[]) => Promise<void>>()
  let queue: Call[] = []
  let seq = 0
  // Calls made during one turn of the event loop go together when it ends. (Holding calls back while a batch is
  // out, to make batches larger, measured no better on bench/login.ts: 1 or 2 batches out against any number.)
  let scheduled = false
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }
  let down: Error | undefined
  let onClosed: (() => void) | undefined

  const fail = (err: Error): void => {
    down ??= err
    for (const p of pending.values()) p.reject(new StoreUnavailableError(err))
    pending.clear()
    queue = []
  }

  const flush = (): void => {
    scheduled = false
    if (queue.length === 0 || down) return
    const calls = queue
    queue = []
    try {
      worker.postMessage({ type: 'batch', calls } satisfies ToWorker)
    } catch {
      // A value that cannot be cloned (a function, say): send the calls one by one so only that call fails.
      for (const call of calls) {
        try {
          worker.postMessage({ type: 'batch', calls: [call] } satisfies ToWorker)
        } catch (err) {
          const p = pending.get(call[0])
          pending.delete(call[0])
          p?.reject(err instanceof Error ? err : new Error(String(err)))
        }
      }
    }
  }

  const call = (area: string, method: string, args: unknown[]): Promise<unknown> => {
    if (down) return Promise.reject(new StoreUnavailableError(down))
    return new Promise((resolve, reject) => {
      const n = ++seq
      // The thread keeps the process alive only while a call waits for it (a CLI that forgets close() still exits).
      if (pending.size === 0) worker.ref()
      pending.set(n, { resolve, reject })
      queue.push([n, area, method, args])
      schedule()
    })
  }

  const shape = await new Promise<Record<string, string[]>>((resolve, reject) => {
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the SQLite store thread exited (${code}) before it was ready`)))
    worker.once('message', (m: FromWorker) => {
      if (m.type === 'ready') resolve(m.shape)
      else if (m.type === 'failed') reject(fromWireError(m.error))
    })
  }).finally(() => { worker.removeAllListeners('error'); worker.removeAllListeners('exit'); worker.removeAllListeners('message') })

  worker.on('message', (m: FromWorker) => {
    if (m.type === 'outcomes') {
      for (const [n, ok, value] of m.outcomes) {
        const p = pending.get(n)
        pending.delete(n)
        drainHandlers.delete(n)
        if (ok) p?.resolve(value)
        else p?.reject(fromWireError(value))
      }
      // Not while closing: close() holds the thread referenced until it has exited, and an outcomes message with
      // nothing left waiting (a batch of drains answers apart from them) may still arrive after it began.
      if (pending.size === 0 && !closing) worker.unref()
    } else if (m.type === 'drainEvents') {
      const handle = drainHandlers.get(m.seq)
      const ack = (error?: unknown): void => {
        if (!down) worker.postMessage({ type: 'drainAck', seq: m.seq, ...(error === undefined ? {} : { error: toWireError(error) }) } satisfies ToWorker)
      }
      if (!handle) ack(new Error('no drain handler'))
      else handle(m.events as OutboxEvent[]).then(() => ack(), ack)
    } else if (m.type === 'closed') onClosed?.()
  })
  worker.unref()
  let closing = false
  const died = (err: Error): void => {
    const first = down === undefined
    fail(err)
    if (first && !closing) opts.onDown?.(err)
  }
  worker.on('error', died)
  worker.on('exit', (code) => died(new Error(`the SQLite store thread exited (${code})`)))

  const store: Record<string, unknown> = { kind: 'sqlite' }
  for (const [area, methods] of Object.entries(shape)) {
    if (area === '') continue
    store[area] = Object.fromEntries(methods.map((method) => [method, (...args: unknown[]) => call(area, method, args)]))
  }
  const outbox = store.outbox as Record<string, unknown>
  outbox.drain = (handle: (events: OutboxEvent[]) => Promise<void>, limit: number): Promise<unknown> => {
    const p = call('outbox', 'drain', [limit])
    drainHandlers.set(seq, handle)
    return p
  }
  store.ping = () => call('', 'ping', [])
  // For tests: the thread itself (to stop it as a crash would). Not enumerable, not part of the Store port.
  Object.defineProperty(store, STORE_THREAD, { value: worker })
  store.close = async () => {
    if (down) return
    closing = true
    flush()
    worker.ref()
    await new Promise<void>((resolve) => {
      onClosed = resolve
      worker.once('exit', () => resolve())
      worker.postMessage({ type: 'close' } satisfies ToWorker)
    })
    fail(new Error('store closed'))
  }
  return store as unknown as Store
}
