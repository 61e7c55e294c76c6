import { randomFillSync } from 'node:crypto'

/**
 * Random values for ids, session ids, nonces and challenges, from node:crypto's CSPRNG like `randomBytes`, but
 * drawn from a 4 KB buffer that one call refills. Each `randomBytes` call enters OpenSSL's DRBG, which checks the
 * process id with a system call every time: four of them per sign-in, about 18 µs each on this VM under load
 * (docs/performance-history.md). Node's own `randomUUID` keeps such a buffer too. Every byte is handed out once and
 * zeroed in the buffer when it is.
 */
const POOL_BYTES = 4096
/** Larger requests bypass the pool. */
const MAX_POOLED = 256
const pool = Buffer.alloc(POOL_BYTES)
let next = POOL_BYTES

/** The offset of the next `n` unused bytes of the pool, refilled when short. The caller reads them, then wipes them. */
function take(n: number): number {
  if (next + n > POOL_BYTES) {
    randomFillSync(pool)
    next = 0
  }
  next += n
  return next - n
}

/** Copies `n` fresh random bytes into `into` at `at`. */
function draw(into: Uint8Array, at: number, n: number): void {
  if (n > MAX_POOLED) {
    randomFillSync(into, at, n)
    return
  }
  const from = take(n)
  pool.copy(into, at, from, from + n)
  pool.fill(0, from, from + n)
}

/**
 * `n` random bytes in a new Buffer of its own: `Buffer.alloc`, never Node's shared 8 KB allocation pool (as
 * `allocUnsafe` would use), so a session id cannot travel with an unrelated Buffer's memory.
 */
export function randomBytes(n: number): Buffer {
  const out = Buffer.alloc(n)
  draw(out, 0, n)
  return out
}

/** `n` random bytes as base64url (43 characters for 32 bytes), encoded straight from the pool. */
export function randomToken(n: number): string {
  if (n > MAX_POOLED) return randomBytes(n).toString('base64url')
  const from = take(n)
  const token = pool.toString('base64url', from, from + n)
  pool.fill(0, from, from + n)
  return token
}

/** Fills a Uint8Array in place (as WebCrypto's getRandomValues does) and returns it. */
export function fillRandom<T extends Uint8Array>(array: T): T {
  draw(array, 0, array.byteLength)
  return array
}
