import { StoreConflictError } from '../errors.ts'
import type { RedisConn } from './connection.ts'

/** A unique key to claim with SET NX; a taken key is a conflict on `field`. */
export interface Reservation {
  key: string
  value: string
  field: StoreConflictError['field']
  /** PXAT for keys that expire with their record. */
  expiresAt?: string
}

/**
 * Claims each key with SET NX, in order, then runs `write`. A write that spans hash slots cannot be one
 * transaction in a cluster, so the unique keys are claimed first and, on a conflict or any error, the keys
 * this call claimed are deleted again (NX guarantees nobody else set them meanwhile).
 */
export async function withReservations<T>(conn: RedisConn, list: Reservation[], write: () => Promise<T>): Promise<T> {
  const held: string[] = []
  try {
    for (const r of list) {
      const args = ['SET', r.key, r.value, 'NX']
      if (r.expiresAt !== undefined) args.push('PXAT', r.expiresAt)
      if (await conn.call(r.key, args) === null) throw new StoreConflictError(r.field)
      held.push(r.key)
    }
    return await write()
  } catch (err) {
    // allSettled: a failed rollback must not hide the error that caused it.
    await Promise.allSettled(held.map((key) => conn.call(key, ['DEL', key])))
    throw err
  }
}
