import { parentPort, workerData } from 'node:worker_threads'
import type { OutboxEvent, Store } from '../../ports.ts'
import { openSqliteStoreWithDb } from '../openSqliteStore.ts'
import { runBatch } from '../batch.ts'
import { toWireError, type Call, type FromWorker, type Outcome, type ToWorker } from './protocol.ts'

/**
 * The store thread: owns the SQLite connection and runs every call the request thread sends, a batch at a time.
 *
 * Group commit: a batch (the calls the request thread made during one turn of its event loop) runs inside one
 * `BEGIN IMMEDIATE … COMMIT`, each call inside its own SAVEPOINT, so a call that fails is rolled back alone and
 * the others still commit. Outcomes go back only after the COMMIT: nobody is answered with a write that could
 * still be lost. If the COMMIT fails, every call of the batch fails. Waiting for another process's write lock
 * (busy_timeout) blocks this thread, never the request loop.
 *
 * The adapter's methods are synchronous inside (they return settled promises), so awaiting one takes only
 * microtasks: no other message is handled while a batch's transaction is open. `outbox.drain` is the exception
 * (it awaits a handler in the request thread); it is started in its batch and finishes on its own.
 */
if (!parentPort) throw new Error('the store worker runs in a worker thread')
const port = parentPort
const post = (m: FromWorker): void => port.postMessage(m)

let opened: { store: Store; db: import('better-sqlite3').Database }
try {
  opened = openSqliteStoreWithDb({ path: (workerData as { path: string }).path })
} catch (err) {
  post({ type: 'failed', error: toWireError(err) })
  process.exit(1)
}
const { store, db } = opened

const shape: Record<string, string[]> = {}
for (const [name, value] of Object.entries(store)) {
  if (value !== null && typeof value === 'object') shape[name] = Object.keys(value).filter((k) => typeof (value as Record<string, unknown>)[k] === 'function')
}
shape[''] = ['ping']

/** Drains in progress: their handler's answer from the request thread. */
const drainAcks = new Map<number, { resolve: () => void; reject: (err: Error) => void }>()
let drainsRunning = 0

function startDrain(seq: number, limit: unknown): void {
  drainsRunning++
  const handle = (events: OutboxEvent[]): Promise<void> => new Promise((resolve, reject) => {
    drainAcks.set(seq, { resolve, reject })
    post({ type: 'drainEvents', seq, events })
  })
  store.outbox.drain(handle, limit as number).then(
    (n) => post({ type: 'outcomes', outcomes: [[seq, true, n]] }),
    (err: unknown) => post({ type: 'outcomes', outcomes: [[seq, false, toWireError(err)]] }),
  ).finally(() => { drainsRunning-- })
}

async function batch(calls: Call[]): Promise<void> {
  // A drain is started in its place in the batch and answers on its own (it waits for its handler).
  const outcomes = await runBatch(db, store, calls, ([seq, area, method, args]) => area === 'outbox' && method === 'drain' && (startDrain(seq, args[0]), true))
  post({ type: 'outcomes', outcomes: outcomes.map(([seq, ok, v]): Outcome => ok ? [seq, true, v] : [seq, false, toWireError(v)]) })
}

let chain: Promise<void> = Promise.resolve()
port.on('message', (m: ToWorker) => {
  if (m.type === 'batch') chain = chain.then(() => batch(m.calls))
  else if (m.type === 'drainAck') {
    const ack = drainAcks.get(m.seq)
    drainAcks.delete(m.seq)
    if (m.error) ack?.reject(Object.assign(new Error(m.error.message), { name: m.error.name }))
    else ack?.resolve()
  } else if (m.type === 'close') {
    chain = chain.then(async () => {
      // A drain still waiting for its handler gives up: its events stay in the outbox for the next one.
      for (const ack of drainAcks.values()) ack.reject(new Error('store closing'))
      while (drainsRunning > 0) await new Promise((r) => setImmediate(r))
      await store.close()
      post({ type: 'closed' })
      port.close()
    })
  }
})
post({ type: 'ready', shape })
