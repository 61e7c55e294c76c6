import fs from 'node:fs'
import path from 'node:path'
import { randomBytes, webcrypto } from 'node:crypto'
import { createLocalJWKSet, type JWK } from 'jose'
import { localSigner, type Signer } from './signer.ts'

export const KEYS_FILE = 'signing-keys.json'

interface StoredKey {
  kid: string
  alg: 'ES256'
  privateJwk: JWK
  createdAt: number
  retiredAt?: number
}

interface KeysFile {
  keys: StoredKey[]
}

export interface KeyRing {
  /** The active signer. */
  signer(): Signer
  /** Public keys: the active one and retired ones whose signatures may still be unexpired. */
  jwks(): { keys: JWK[] }
  /**
   * The same keys as a jose key set for `jwtVerify`, kept while they stay the same: jose imports a key once per
   * key set, so a key set built per verification imported the key every time (about 0.2 ms, a tenth of a
   * signing approval's redeem).
   */
  verificationKeys(): ReturnType<typeof createLocalJWKSet>
  /**
   * Public keys for signatures that live longer than access tokens: the active key and those retired less than
   * `seconds` ago. KYC credentials (valid a year) are checked against the issuer's did:web document, which must
   * keep a retired key as long as a credential it signed can still be valid.
   */
  publishedFor(seconds: number): { keys: JWK[] }
  /** Every public key this deployment has signed with, for checking old signatures (audit checkpoints). */
  history(): { keys: JWK[] }
  /** Re-reads the key file if it changed (a rotation by the CLI or another instance). */
  refresh(): Promise<void>
}

export interface OpenKeyRingOptions {
  dir: string
  /** Create a key when the directory has none (development); otherwise refuse to start. */
  createIfMissing: boolean
  /** How long a retired key stays published: the longest lifetime of anything it signed. */
  retainSeconds: number
  now: () => number
  onCreated?: (info: { kid: string; file: string }) => void
}

async function newKey(now: number): Promise<StoredKey> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  const jwk = await webcrypto.subtle.exportKey('jwk', pair.privateKey)
  const kid = `${new Date(now).toISOString().slice(0, 10)}-${randomBytes(6).toString('base64url')}`
  return { kid, alg: 'ES256', privateJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }, createdAt: now }
}

function readFile(file: string): KeysFile {
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

function writeFile(file: string, data: KeysFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 })
  fs.renameSync(tmp, file)
}

const publicJwk = (k: StoredKey): JWK => ({ kty: k.privateJwk.kty, crv: k.privateJwk.crv, x: k.privateJwk.x, y: k.privateJwk.y, kid: k.kid, alg: k.alg, use: 'sig' })

function published(k: StoredKey, now: number, retainSeconds: number): boolean {
  return !k.retiredAt || k.retiredAt + retainSeconds * 1000 > now
}

export async function openKeyRing(opts: OpenKeyRingOptions): Promise<KeyRing> {
  const file = path.join(opts.dir, KEYS_FILE)
  if (!fs.existsSync(file)) {
    if (!opts.createIfMissing) {
      throw new Error(`no signing keys at ${file}: create the key set once with \`npm run sigil -- keys init\` (it writes to SIGIL_KEYS_DIR, `
        + 'or to the data directory when that is unset) or with your KMS tooling; development keys (SIGIL_DEV_KEYS=true) are created only when SIGIL_KEYS_DIR is unset')
    }
    const key = await newKey(opts.now())
    writeFile(file, { keys: [key] })
    opts.onCreated?.({ kid: key.kid, file })
  }
  let mtime = 0
  let active: Signer
  let keys: StoredKey[] = []
  let verifier: { kids: string; keySet: ReturnType<typeof createLocalJWKSet> } | undefined
  const load = async (): Promise<void> => {
    const stat = fs.statSync(file)
    if (stat.mtimeMs === mtime) return
    const data = readFile(file)
    const current = data.keys.filter((k) => !k.retiredAt).sort((a, b) => b.createdAt - a.createdAt)[0]!
    active = await localSigner(current.kid, current.privateJwk)
    keys = data.keys
    verifier = undefined
    mtime = stat.mtimeMs
  }
  await load()
  const publishedNow = (): StoredKey[] => { const now = opts.now(); return keys.filter((k) => published(k, now, opts.retainSeconds)) }
  const jwks = () => ({ keys: publishedNow().map(publicJwk) })
  return {
    signer: () => active,
    jwks,
    verificationKeys() {
      // Which keys are published changes with time too (a retired key leaves after its retention).
      const current = publishedNow()
      const kids = current.map((k) => k.kid).join(' ')
      if (verifier?.kids !== kids) verifier = { kids, keySet: createLocalJWKSet({ keys: current.map(publicJwk) }) }
      return verifier.keySet
    },
    publishedFor(seconds) {
      const now = opts.now()
      return { keys: keys.filter((k) => published(k, now, Math.max(seconds, opts.retainSeconds))).map(publicJwk) }
    },
    history: () => ({ keys: keys.map(publicJwk) }),
    refresh: load,
  }
}

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

/**
 * Makes a new active key and retires the old one. A retired key whose retention has passed leaves the JWKS and
 * loses its private part; its public part stays in the file (history) so old audit checkpoints still verify.
 * Running servers pick the change up on their next refresh.
 */
export async function rotateKeys(dir: string, now: number, retainSeconds: number): Promise<{ kid: string; retired: string[]; dropped: string[] }> {
  const file = path.join(dir, KEYS_FILE)
  const data = readFile(file)
  const retired: string[] = []
  const dropped: string[] = []
  for (const k of data.keys) {
    if (!k.retiredAt) { k.retiredAt = now; retired.push(k.kid) }
  }
  for (const k of data.keys) {
    if (!published(k, now, retainSeconds) && k.privateJwk.d) {
      delete k.privateJwk.d
      dropped.push(k.kid)
    }
  }
  const key = await newKey(now)
  writeFile(file, { keys: [...data.keys, key] })
  return { kid: key.kid, retired, dropped }
}
