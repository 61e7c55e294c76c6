import type { Database } from 'better-sqlite3'
import type { CeremonyKind, CeremonyRecord, ChallengeStore, RateLimitStore } from '../ports.ts'
import { rethrowConflict } from './conflict.ts'
import { withEvents, type WriteEvents } from './outbox.ts'

interface ChallengeRow {
  challenge: string
  kind: string
  user_id: string | null
  data: string | null
  expires_at: number
}

function toRecord(row: ChallengeRow): CeremonyRecord {
  const rec: CeremonyRecord = { challenge: row.challenge, kind: row.kind as CeremonyKind, expiresAt: row.expires_at }
  if (row.user_id !== null) rec.userId = row.user_id
  if (row.data !== null) rec.data = JSON.parse(row.data) as Record<string, unknown>
  return rec
}

export function sqliteChallenges(db: Database, gc: () => void, limits: RateLimitStore, write: WriteEvents): ChallengeStore {
  const insert = db.prepare<[ChallengeRow]>(`INSERT INTO challenges (challenge, kind, user_id, data, expires_at)
    VALUES (@challenge, @kind, @user_id, @data, @expires_at)`)
  // One statement, so a challenge cannot be handed to two callers even across processes.
  const take = db.prepare<[string], ChallengeRow>('DELETE FROM challenges WHERE challenge = ? RETURNING *')
  const put = (c: CeremonyRecord): void => {
    gc()
    try {
      insert.run({ challenge: c.challenge, kind: c.kind, user_id: c.userId ?? null,
        data: c.data === undefined ? null : JSON.stringify(c.data), expires_at: c.expiresAt })
    } catch (err) {
      rethrowConflict(err)
    }
  }
  // With events, the ceremony and its events are one transaction (a presentation's result and its event).
  const putWithEvents = withEvents(db, write, put)
  return {
    async put(c, events) {
      if (events?.length) putWithEvents(events, c)
      else put(c)
    },
    async putCounted(c, { key, windowMs, now, max }) {
      // The count and the insert in one call (one turn of group commit); a refused put stores nothing.
      const hit = await limits.hit(key, windowMs, now)
      if (hit.count <= max) put(c)
      return hit
    },
    async consume(challenge) {
      const row = take.get(challenge)
      return row && toRecord(row)
    },
  }
}
