import type { Database } from 'better-sqlite3'

/** How long after expiry a row is kept: services decide expiry with their own clock, which may lag ours. */
const GRACE_MS = 10 * 60_000
const EVERY_MS = 60_000

/**
 * Returns a function that deletes long-expired short-lived rows, at most once a minute. It is called from
 * the write paths that create such rows, so an idle store does no work and needs no timer to be stopped.
 */
export function createGc(db: Database, now: () => number): () => void {
  const sweeps = [
    db.prepare<[number]>('DELETE FROM challenges WHERE expires_at < ?'),
    db.prepare<[number]>('DELETE FROM sessions WHERE absolute_expires_at < ?'),
    db.prepare<[number]>('DELETE FROM idempotency WHERE expires_at < ?'),
    db.prepare<[number]>('DELETE FROM rate_limits WHERE reset_at < ?'),
    // Unissued KYC data goes 30 days after submission whatever else is written (README), and spent or lapsed
    // offers, access tokens and c_nonces with it.
    db.prepare<[number]>('DELETE FROM kyc_subjects WHERE expires_at < ?'),
    db.prepare<[number]>('DELETE FROM kyc_single_use WHERE expires_at < ?'),
  ]
  const sweepAll = db.transaction((before: number) => { for (const s of sweeps) s.run(before) })
  let lastRun = -Infinity
  return () => {
    const t = now()
    if (t - lastRun < EVERY_MS) return
    lastRun = t
    sweepAll(t - GRACE_MS)
  }
}
