import { randomBytes, randomInt, scrypt as scryptCb, type ScryptOptions } from 'node:crypto'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { hitLimit } from '../rateLimits.ts'
import { domainEvent } from '../audit/index.ts'
import type { UserRecord } from '../store/index.ts'

/** Crockford base32 without I, L, O, U: no look-alike characters when a person types a code. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const RECOVERY_CODE_COUNT = 10
const SCRYPT: ScryptOptions = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
/** Per account and client: stops guessing. Per account alone (looser): stops a spread-out attack, while one
 * stranger cannot lock the owner out. Per client (any handle): each attempt costs a 32 MiB scrypt. */
// Per client, and per account and client; no account-wide bucket: a stranger with a few addresses would fill it
// and keep the owner out, while codes of 80 bits need no such bucket against guessing (at most two scrypt
// computations run at once, whatever the number of clients).
const LIMITS = { accountClient: 5, client: 10 }
/** scrypt runs on the libuv pool that WebCrypto also uses: at most this many at once, so sign-ins keep flowing. */
const MAX_CONCURRENT_SCRYPT = 2
let running = 0
const waiting: (() => void)[] = []

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_SCRYPT) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await work()
  } finally {
    running--
    waiting.shift()?.()
  }
}

function scrypt(code: string, salt: string): Promise<string> {
  return limited(() => new Promise((resolve, reject) => {
    scryptCb(code, Buffer.from(salt, 'base64url'), 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key.toString('base64url'))))
  }))
}

/** 16 characters of 32 symbols: 80 bits each, shown as ABCD-EFGH-JKMN-PQRS. */
function newCode(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)])
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-')
}

const normalise = (code: string): string => code.toUpperCase().replace(/-/g, '')

/** Replaces the user's codes with ten new ones; they are returned once and stored as scrypt hashes only. */
export async function generateRecoveryCodes(deps: AppDeps, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode)
  const salt = randomBytes(16).toString('base64url')
  const hashes = await Promise.all(codes.map((c) => scrypt(normalise(c), salt)))
  await deps.store.recovery.replace(userId, { salt, hashes, createdAt: deps.now() },
    [domainEvent('recovery.codes_generated', userId, deps.now())])
  return codes
}

/** A fixed salt for unknown handles, so they cost the same scrypt as known ones (no enumeration by timing). */
const DECOY_SALT = randomBytes(16).toString('base64url')

/**
 * Checks a code for a handle and consumes it atomically. Unknown handle, no codes and a wrong code give
 * the same answer; attempts are limited per client, per account and client, and per account.
 */
export async function redeemRecoveryCode(deps: AppDeps, handle: string, code: string, client: string): Promise<UserRecord> {
  const user = await deps.store.users.getByHandle(handle)
  const account = user?.id ?? `unknown:${handle}`
  await hitLimit(deps, `recovery:client:${client}`, LIMITS.client)
  await hitLimit(deps, `recovery:acct:${account}:${client}`, LIMITS.accountClient)
  const salt = user ? await deps.store.recovery.getSalt(user.id) : undefined
  const hash = await scrypt(normalise(code), salt ?? DECOY_SALT)
  const ok = !!user && !!salt && (await deps.store.recovery.consume(user.id, hash, deps.now(),
    [domainEvent('recovery.used', user.id, deps.now())]))
  if (!ok) {
    throw new ProblemError('recovery_failed', 401, { detail: 'That handle and recovery code do not match an unused code.' })
  }
  return user
}
