import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Database } from 'better-sqlite3'

export interface CheckpointerOptions {
  /** How often the worker checkpoints (ms). */
  everyMs?: number
  /** A WAL this many frames long or longer is restarted after the checkpoint (SQLite's own automatic checkpoint uses 1000). */
  restartFrames?: number
  /** A restarted WAL longer than this is cut back to it (bytes). */
  walSizeLimitBytes?: number
}

/** The WAL is cut back to this size when it restarts, should it have grown while the worker could not keep up. */
export const WAL_SIZE_LIMIT_BYTES = 32 * 2 ** 20

/**
 * Runs in a worker thread with its own connection, so a checkpoint never blocks the request loop. A PASSIVE
 * checkpoint never waits for writers, but under steady writes it never catches up either: the frames committed
 * while it copies are always left, so the log never restarts and grows for as long as the writes go on (330 MB
 * in 12 s of sign-ins at 600/s, measured), and every commit then appends to a growing file. So when the log
 * is long and the PASSIVE pass copied all of it (no reader holds an older snapshot), a RESTART checkpoint
 * follows: it copies only what was committed meanwhile, holding the write lock for that long, and the next
 * commit writes the log from its start again.
 *
 * The worker waits at most 5 ms for a lock (SQLite's busy timeout; long enough for the request loop's batch to
 * commit): a RESTART that finds a writer or a reader in its way longer than that gives up and is tried on the next
 * round. Waiting longer would hold the write lock while it waits for readers, and a reader that stays (a sqlite3
 * shell, a backup) would then stop every write; and such a reader keeps the PASSIVE pass from copying the whole
 * log, so no RESTART is even tried while it reads. Rounds are chained, not on an interval.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 5')
let restarts = 0
let timer
const round = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)')
    if (r && r.busy === 0 && r.log >= workerData.restartFrames && r.checkpointed === r.log) {
      const [s] = db.pragma('wal_checkpoint(RESTART)')
      if (s && s.busy === 0) parentPort.postMessage({ restarts: ++restarts })
    }
  } catch {}
  timer = setTimeout(round, workerData.every)
}
timer = setTimeout(round, workerData.every)
parentPort.on('message', () => { clearTimeout(timer); db.close(); process.exit(0) })
`

/** What a checkpointer has done, for tests. */
export interface CheckpointerHandle {
  stop(): Promise<void>
  /** WAL restarts done so far (RESTART checkpoints that completed). */
  readonly restarts: number
}

/**
 * SQLite's automatic WAL checkpoint runs inside whichever commit crosses the threshold, taking several ms of
 * the event loop at random. It is switched off here and done by a worker thread instead. If the worker cannot
 * start, automatic checkpoints are switched back on.
 */
export function startCheckpointer(db: Database, path: string, opts: CheckpointerOptions = {}): CheckpointerHandle {
  db.pragma('wal_autocheckpoint = 0')
  db.pragma(`journal_size_limit = ${Math.floor(opts.walSizeLimitBytes ?? WAL_SIZE_LIMIT_BYTES)}`)
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: {
    path, every: opts.everyMs ?? 250, restartFrames: opts.restartFrames ?? 1000, module: createRequire(import.meta.url).resolve('better-sqlite3'),
  } })
  worker.unref()
  // Registered now: a worker that already ended (it could not start) must not leave stop() waiting.
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  let restarts = 0
  worker.on('message', (m: { restarts?: number }) => { if (typeof m.restarts === 'number') restarts = m.restarts })
  worker.on('error', () => { if (db.open) db.pragma('wal_autocheckpoint = 1000') })
  return {
    get restarts() { return restarts },
    async stop() {
      worker.ref() // keep the process alive until the worker has closed its connection
      worker.postMessage('stop')
      // A worker that has not closed within 2 s (still loading better-sqlite3 on a busy machine) is terminated and
      // waited for: returning with it still running let the process exit under a live native connection (a child
      // process of the multi-process test died once with SIGSEGV in CI).
      const timer = setTimeout(() => void worker.terminate(), 2000)
      await exited
      clearTimeout(timer)
    },
  }
}
