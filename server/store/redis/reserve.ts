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
 * Claims each key with SET NX, then runs `write`. A write that spans hash slots cannot be one
 * transaction in a cluster, so the unique keys are claimed first and, on a conflict or any error, the keys
 * this call claimed are deleted again (NX guarantees nobody else set them meanwhile).
 */
export async function withReservations<T>(conn: RedisConn, list: Reservation[], write: () => Promise<T>): Promise<T> {
  const held: string[] = []
  try {
    // All claims at once (one pipelined round trip); any that failed or found the key taken undoes the others.
    const claims = await Promise.allSettled(list.map((r) => {
      const args = ['SET', r.key, r.value, 'NX']
      if (r.expiresAt !== undefined) args.push('PXAT', r.expiresAt)
      return conn.call(r.key, args)
    }))
    claims.forEach((c, i) => { if (c.status === 'fulfilled' && c.value !== null) held.push(list[i]!.key) })
    const failed = claims.find((c) => c.status === 'rejected')
    if (failed) throw failed.reason
    const taken = claims.findIndex((c) => c.status === 'fulfilled' && c.value === null)
    if (taken >= 0) throw new StoreConflictError(list[taken]!.field)
    return await write()
  } catch (err) {
    // allSettled: a failed rollback must not hide the error that caused it.
    await Promise.allSettled(held.map((key) => conn.call(key, ['DEL', key])))
    throw err
  }
}
