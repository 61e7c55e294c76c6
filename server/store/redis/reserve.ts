import { StoreConflictError, StoreUnavailableError } from '../errors.ts'
import type { RedisConn } from './connection.ts'
import { lua } from './lua.ts'

/** DEL only if the key still holds this caller's value. KEYS: key. ARGV: value. */
const RELEASE = lua(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

/** A unique key to claim with SET NX; a taken key is a conflict on `field`. */
export interface Reservation {
  key: string
  value: string
  field: StoreConflictError['field']
  /** PXAT for keys that expire with their record. */
  expiresAt?: string
}

/**
 * Claims each key with SET NX, then runs `write`. A write that spans hash slots cannot be one
 * transaction in a cluster, so the unique keys are claimed first and, on a conflict or any error, the keys
 * this call claimed are deleted again, each only if it still holds this call's value.
 *
 * A claim or a write that timed out may still be carried out by Redis afterwards. So a claim whose answer did not
 * come is released like one that did (compare-and-delete), and when the write's own outcome is unknown
 * (StoreUnavailableError), `recorded` asks whether the record exists before anything is released: it runs on the
 * same connection after the write, so it sees the write if Redis carried it out. If the record is there, or the
 * question cannot be answered either, the claims stay (a user without its handle index could not sign in, and the
 * handle could be taken twice); a claim kept for a write that never happened holds its value until its key expires
 * (never, for a handle: the one case left, when Redis stops answering between the write and the check).
 */
export async function withReservations<T>(conn: RedisConn, list: Reservation[], write: () => Promise<T>,
  recorded?: () => Promise<boolean>): Promise<T> {
  // Every claim not answered "taken": one that failed or timed out may still have been applied by the server.
  let held: Reservation[] = list
  try {
    // All claims at once (one pipelined round trip); any that failed or found the key taken undoes the others.
    const claims = await Promise.allSettled(list.map((r) => {
      const args = ['SET', r.key, r.value, 'NX']
      if (r.expiresAt !== undefined) args.push('PXAT', r.expiresAt)
      return conn.call(r.key, args)
    }))
    held = list.filter((_, i) => !(claims[i]!.status === 'fulfilled' && (claims[i] as PromiseFulfilledResult<unknown>).value === null))
    const failed = claims.find((c) => c.status === 'rejected')
    if (failed) throw failed.reason
    const taken = claims.findIndex((c) => c.status === 'fulfilled' && c.value === null)
    if (taken >= 0) throw new StoreConflictError(list[taken]!.field)
    try {
      return await write()
    } catch (err) {
      if (err instanceof StoreUnavailableError && recorded) {
        const there = await recorded().catch(() => true)
        if (there) held = []
      }
      throw err
    }
  } catch (err) {
    // allSettled: a failed rollback must not hide the error that caused it.
    await Promise.allSettled(held.map((r) => conn.run(RELEASE, [r.key], [r.value])))
    throw err
  }
}
