import type { Database, Statement } from 'better-sqlite3'

/** Distinct LIMIT values kept prepared per statement; a caller passing more gets each further one compiled afresh. */
const KEEP = 32

/**
 * A statement whose LIMIT is written into its SQL instead of bound: `limited(db, 'SELECT … LIMIT {limit}')(n)`
 * gives the statement for `n`, prepared once per value.
 *
 * SQLite (3.53 here) lets a bound LIMIT steer the query plan, so binding it marks the statement expired and the
 * next run compiles it again: the outbox drain and the webhook claim were compiled on every run (a perf uprobe on
 * `sqlite3Reprepare` under the approval workload: about 58 a second, all from these). The limit must be a
 * non-negative safe integer: it becomes SQL text.
 */
export function limited<P extends unknown[] | {} = unknown[], R = unknown>(db: Database, sql: string): (limit: number) => Statement<P, R> {
  if (!sql.includes('{limit}')) throw new Error('limited(): the SQL has no {limit}')
  const byLimit = new Map<number, Statement<P, R>>()
  return (limit) => {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`LIMIT must be a non-negative integer, not ${limit}`)
    const kept = byLimit.get(limit)
    if (kept) return kept
    const statement = db.prepare<P, R>(sql.replaceAll('{limit}', String(limit)))
    if (byLimit.size < KEEP) byLimit.set(limit, statement)
    return statement
  }
}
