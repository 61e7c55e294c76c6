import fs from 'node:fs'
import path from 'node:path'
import { randomBytes, webcrypto } from 'node:crypto'
import type { JWK } from 'jose'

export const KEYS_FILE = 'signing-keys.json'

export interface StoredKey {
  kid: string
  alg: 'ES256'
  privateJwk: JWK
  createdAt: number
  /** When it starts signing; published from `createdAt` on. Absent (files before 2026-12): at `createdAt`. */
  activatesAt?: number
  /** When it stops signing; may lie ahead (at the next key's activation). Published `retainSeconds` longer. */
  retiredAt?: number
}

export interface KeysFile {
  keys: StoredKey[]
}

export const activation = (k: StoredKey): number => k.activatesAt ?? k.createdAt

/**
 * A key retired before it was to start signing (a pending key replaced by `keys rotate --now`): it signed
 * nothing, so nothing is ever verified with it, and it is trusted nowhere once retired (its private part may have
 * been in the leaked file that prompted the `--now`).
 */
export const neverSigned = (k: StoredKey): boolean => k.retiredAt !== undefined && k.retiredAt < activation(k)

export function published(k: StoredKey, now: number, retainSeconds: number): boolean {
  if (!k.retiredAt) return true
  if (neverSigned(k)) return k.retiredAt > now
  return k.retiredAt + retainSeconds * 1000 > now
}

export async function newKey(now: number): Promise<StoredKey> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  const jwk = await webcrypto.subtle.exportKey('jwk', pair.privateKey)
  const kid = `${new Date(now).toISOString().slice(0, 10)}-${randomBytes(6).toString('base64url')}`
  return { kid, alg: 'ES256', privateJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }, createdAt: now }
}

export function readKeyFile(file: string): KeysFile {
  let parsed: KeysFile
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as KeysFile
  } catch (err) {
    // Named, so that a cut-off or hand-edited key file does not surface as a bare JSON message.
    throw new Error(`${file}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as Error).message}`, { cause: err })
  }
  if (!Array.isArray(parsed.keys) || !parsed.keys.some((k) => !k.retiredAt)) {
    throw new Error(`${file}: no active key`)
  }
  return parsed
}

/**
 * Replaces `file` atomically: a temp file beside it, then rename, so a server re-reading it sees the old set or
 * the new one, never half. The temp file is created with O_EXCL under a random name (a fixed name could be a
 * symlink planted by someone with write access to the directory, and the key set written wherever it points),
 * and gets the replaced file's mode, and owner and group when run as root: a `keys rotate` run by root must not
 * leave the service user unable to read the key set.
 */
export function writeKeyFile(file: string, data: KeysFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const before = fs.statSync(file, { throwIfNoEntry: false })
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`)
  const fd = fs.openSync(tmp, 'wx', 0o600)
  try {
    try {
      fs.writeFileSync(fd, JSON.stringify(data, null, 2) + '\n')
      if (before) {
        fs.fchmodSync(fd, before.mode & 0o777)
        if (process.getuid?.() === 0) fs.fchownSync(fd, before.uid, before.gid)
      }
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, file)
  } catch (err) {
    fs.rmSync(tmp, { force: true })
    throw err
  }
}

/** A lock older than this is taken to be left by a `keys rotate` that died (a rotation takes well under a second). */
export const STALE_LOCK_MS = 60_000
const LOCK_WAIT_MS = 10_000

/**
 * Runs `fn` holding `<file>.lock`, created with O_EXCL and removed after: two `keys rotate` at once (two
 * operators, or a script on two hosts of a shared mount) each read the file, add their key and rename, and the
 * first key was lost. A second one waits up to 10 s for the first, then fails naming the lock. A lock older than
 * STALE_LOCK_MS is taken over (`onStaleLock` tells it); two processes taking over the same stale lock at the same
 * moment could both proceed, which needs a rotation that died and two more started within the same instant.
 */
export async function withKeyFileLock<T>(file: string, fn: () => Promise<T>, opts: { onStaleLock?: (info: { lock: string; since: string }) => void } = {}): Promise<T> {
  const lock = `${file}.lock`
  const deadline = Date.now() + LOCK_WAIT_MS
  let fd: number | undefined
  while (fd === undefined) {
    try {
      fd = fs.openSync(lock, 'wx', 0o600)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const held = fs.statSync(lock, { throwIfNoEntry: false })
      if (!held) continue
      if (Date.now() - held.mtimeMs > STALE_LOCK_MS) {
        opts.onStaleLock?.({ lock, since: held.mtime.toISOString() })
        fs.rmSync(lock, { force: true })
        continue
      }
      if (Date.now() > deadline) {
        throw new Error(`${lock} is held (since ${held.mtime.toISOString()}): another \`keys rotate\` is running; if none is, remove the lock file`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  try {
    fs.writeFileSync(fd, `${process.pid}\n`)
    fs.closeSync(fd)
    return await fn()
  } finally {
    fs.rmSync(lock, { force: true })
  }
}
