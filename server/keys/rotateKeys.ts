import fs from 'node:fs'
import path from 'node:path'
import { KEYS_FILE, neverSigned, newKey, published, readKeyFile, withKeyFileLock, writeKeyFile } from './keyFile.ts'
import { KEY_ACTIVATION_DELAY_SECONDS } from './keyRing.ts'

/**
 * Creates the first key set in `dir` (the production set-up: `SIGIL_KEYS_DIR=/keys npm run sigil -- keys init`), and
 * refuses to touch one that exists: replacing it would drop the keys that tokens, credentials and audit checkpoints
 * in circulation were signed with (rotate instead).
 */
export async function initKeys(dir: string, now: number): Promise<{ kid: string; file: string }> {
  const file = path.join(dir, KEYS_FILE)
  if (fs.existsSync(file)) throw new Error(`${file} already holds a key set; use \`keys rotate\` to add a new active key`)
  const key = await newKey(now)
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  // 'wx': if another process created it meanwhile, fail rather than overwrite.
  fs.writeFileSync(file, JSON.stringify({ keys: [key] }, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  return { kid: key.kid, file }
}

export interface RotateKeysOptions {
  /**
   * How long the new key is published before it signs (default KEY_ACTIVATION_DELAY_SECONDS); the keys it replaces
   * sign until then. 0 (`keys rotate --now`) when the current key is compromised.
   */
  activationDelaySeconds?: number
  /** A lock left by a rotation that died (older than a minute) is being taken over. */
  onStaleLock?: (info: { lock: string; since: string }) => void
}

export interface RotateKeysResult {
  file: string
  kid: string
  activatesAt: string
  retired: string[]
  dropped: string[]
}

/**
 * Adds a new key, published at once and signing from `activationDelaySeconds` on, and retires the current (and any
 * pending) key at that moment. A retired key whose retention has passed leaves the JWKS and loses its private part;
 * its public part stays in the file (history) so old audit checkpoints still verify. Running servers pick the
 * change up on their next refresh.
 */
export async function rotateKeys(dir: string, now: number, retainSeconds: number, opts: RotateKeysOptions = {}): Promise<RotateKeysResult> {
  const file = path.join(dir, KEYS_FILE)
  // Never creates a key set: a rotation where there is none is a wrong directory (SIGIL_KEYS_DIR unset or mistyped).
  if (!fs.existsSync(file)) throw new Error(`no key set at ${file} to rotate: check SIGIL_KEYS_DIR, or create the first one with \`keys init\``)
  return withKeyFileLock(file, async () => {
    const data = readKeyFile(file)
    const activatesAt = now + (opts.activationDelaySeconds ?? KEY_ACTIVATION_DELAY_SECONDS) * 1000
    const retired: string[] = []
    const dropped: string[] = []
    for (const k of data.keys) {
      // A key retired later than the new one activates (a pending rotation, then `--now`) stops then.
      if (!k.retiredAt || k.retiredAt > activatesAt) { k.retiredAt = activatesAt; retired.push(k.kid) }
    }
    for (const k of data.keys) {
      // Retired for good, or replaced before it ever signed (`--now` over a pending rotation): no private part kept.
      if ((!published(k, now, retainSeconds) || neverSigned(k)) && k.privateJwk.d) {
        delete k.privateJwk.d
        dropped.push(k.kid)
      }
    }
    const key = { ...await newKey(now), activatesAt }
    writeKeyFile(file, { keys: [...data.keys, key] })
    return { file, kid: key.kid, activatesAt: new Date(activatesAt).toISOString(), retired, dropped }
  }, opts.onStaleLock ? { onStaleLock: opts.onStaleLock } : {})
}
