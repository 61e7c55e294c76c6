import type { Database } from 'better-sqlite3'
import type { OutboxEvent, OutboxStore } from '../ports.ts'
import { limited } from './limited.ts'

interface OutboxRow {
  seq: number
  id: string
  type: string
  at: number
  subject: string
  data: string
}

export type WriteEvents = (events: OutboxEvent[] | undefined) => void

/**
 * The insert that mutating methods run inside their own transaction, so a change and the events describing it
 * commit together or not at all (the transactional outbox).
 */
export function outboxWriter(db: Database): WriteEvents {
  const insert = db.prepare<[Omit<OutboxRow, 'seq'>]>(
    'INSERT INTO outbox (id, type, at, subject, data) VALUES (@id, @type, @at, @subject, @data)')
  return (events) => {
    for (const e of events ?? []) {
      insert.run({ id: e.id, type: e.type, at: e.at, subject: e.subject, data: JSON.stringify(e.data) })
    }
  }
}

/**
 * Wraps a synchronous change so that it and its events are one IMMEDIATE transaction; the events are written
 * only when `wrote(result)` says the change happened.
 */
export function withEvents<A extends unknown[], R>(db: Database, write: WriteEvents, change: (...args: A) => R,
  wrote: (result: R) => boolean = () => true): (events: OutboxEvent[] | undefined, ...args: A) => R {
  const tx = db.transaction((events: OutboxEvent[] | undefined, ...args: A): R => {
    const result = change(...args)
    if (events?.length && wrote(result)) write(events)
    return result
  })
  return (events, ...args) => tx.immediate(events, ...args)
}

/** The SQLite outbox, with the two halves of a drain apart for group commit (grouped.ts), which is not the port. */
export interface SqliteOutbox extends OutboxStore {
  /** The oldest events, read without a transaction (no lock needed in WAL mode), and the seq of the last one. */
  oldest(limit: number): { events: OutboxEvent[]; lastSeq: number | undefined }
  /** Removes every event up to `seq`: what a drain has handed on. */
  removeThrough(seq: number): Promise<void>
}

/**
 * A drain: the oldest events to `handle`, then, once it has taken them, their removal by `remove` (the outbox's own
 * statement, or a call in group commit's next batch). Rows are only ever appended, so everything up to the last
 * seq handed on is what was handled.
 */
export async function drainOutbox(outbox: SqliteOutbox, handle: (events: OutboxEvent[]) => Promise<void>, limit: number,
  remove: (seq: number) => Promise<unknown> = (seq) => outbox.removeThrough(seq)): Promise<number> {
  const { events, lastSeq } = outbox.oldest(limit)
  if (lastSeq === undefined) return 0
  await handle(events)
  await remove(lastSeq)
  return events.length
}

export function sqliteOutbox(db: Database, write: WriteEvents): SqliteOutbox {
  const oldestRows = limited<[], OutboxRow>(db, 'SELECT * FROM outbox ORDER BY seq LIMIT {limit}')
  const remove = db.prepare<[number]>('DELETE FROM outbox WHERE seq <= ?')
  const count = db.prepare<[], number>('SELECT count(*) FROM outbox').pluck()
  const publish = db.transaction(write)
  const outbox: SqliteOutbox = {
    async publish(events) {
      publish(events)
    },
    drain: (handle, limit) => drainOutbox(outbox, handle, limit),
    async pending() {
      return count.get() ?? 0
    },
    oldest(limit) {
      const rows = oldestRows(limit).all()
      return { events: rows.map((r) => ({ id: r.id, type: r.type, at: r.at, subject: r.subject, data: JSON.parse(r.data) as Record<string, unknown> })),
        lastSeq: rows.at(-1)?.seq }
    },
    async removeThrough(seq) {
      remove.run(seq)
    },
  }
  return outbox
}
