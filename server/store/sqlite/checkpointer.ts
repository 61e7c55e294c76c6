import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Database } from 'better-sqlite3'

const EVERY_MS = 250

/** Runs in a worker thread with its own connection, so a checkpoint never blocks the request loop. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 1000')
const timer = setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)') } catch {} }, workerData.every)
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0) })
`

/**
 * SQLite's automatic WAL checkpoint runs inside whichever commit crosses the threshold, taking several ms of
 * the event loop at random. It is switched off here and done by a worker thread instead (PASSIVE: it never
 * waits for writers). If the worker cannot start, automatic checkpoints are switched back on.
 */
export function startCheckpointer(db: Database, path: string): () => Promise<void> {
  db.pragma('wal_autocheckpoint = 0')
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, every: EVERY_MS, module: createRequire(import.meta.url).resolve('better-sqlite3') } })
  worker.unref()
  worker.on('error', () => { if (db.open) db.pragma('wal_autocheckpoint = 1000') })
  return async () => {
    worker.ref() // keep the process alive until the worker has closed its connection
    worker.postMessage('stop')
    let timer: NodeJS.Timeout | undefined
    await new Promise((resolve) => { worker.once('exit', resolve); timer = setTimeout(resolve, 2000) })
    clearTimeout(timer)
  }
}
