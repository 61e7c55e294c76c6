import fs from 'node:fs'
import path from 'node:path'
import { randomBytes, webcrypto } from 'node:crypto'
import { createLocalJWKSet, type JWK } from 'jose'
import { localSigner, type Signer } from './signer.ts'

export const KEYS_FILE = 'signing-keys.json'

/** `Cache-Control: max-age` of the published keys (JWKS, did.json, jwt-vc-issuer): how long a cache may hold them. */
export const PUBLISHED_KEYS_MAX_AGE_SECONDS = 300
/** How often a running server re-reads the key file. */
export const KEY_REFRESH_SECONDS = 30
/**
 * How long a rotated key is published before it signs: every instance has re-read the file (KEY_REFRESH_SECONDS)
 * and every cache holding the JWKS without it has expired (PUBLISHED_KEYS_MAX_AGE_SECONDS), plus 30 s for a
 * verifier that refetched a moment before (jose's createRemoteJWKSet refetches at most every 30 s). Signed with
 * at once, a new key's tokens were refused by signing services until their cached JWKS expired.
 */
export const KEY_ACTIVATION_DELAY_SECONDS = PUBLISHED_KEYS_MAX_AGE_SECONDS + KEY_REFRESH_SECONDS + 30

interface StoredKey {
  kid: string
  alg: 'ES256'
  privateJwk: JWK
  createdAt: number
  /** When it starts signing; published from `createdAt` on. Absent (files before 2026-12): at `createdAt`. */
  activatesAt?: number
  /** When it stops signing; may lie ahead (at the next key's activation). Published `retainSeconds` longer. */
  retiredAt?: number
}

/** A key's state at a moment: published but not yet signing, signing, or published for what it signed. */
export type KeyState = 'pending' | 'active' | 'retired'

export interface KeyStatus {
  kid: string
  state: KeyState
  createdAt: string
  activatesAt: string
  retiredAt?: string
}

interface KeysFile {
  keys: StoredKey[]
}

export interface KeyRing {
  /** The active signer: the newest key whose activation time has come. */
  signer(): Signer
  /** Each key with its state now (`keys list`). */
  status(): KeyStatus[]
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

const activation = (k: StoredKey): number => k.activatesAt ?? k.createdAt
const signsAt = (k: StoredKey, now: number): boolean => activation(k) <= now && (!k.retiredAt || k.retiredAt > now)
const stateAt = (k: StoredKey, now: number): KeyState =>
  signsAt(k, now) ? 'active' : activation(k) > now && (!k.retiredAt || k.retiredAt > now) ? 'pending' : 'retired'

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
  let keys: StoredKey[] = []
  /** Signers of the keys that sign now or will (pending), newest activation first. */
  let signers: { key: StoredKey; signer: Signer }[] = []
  let verifier: { kids: string; keySet: ReturnType<typeof createLocalJWKSet> } | undefined
  const load = async (): Promise<void> => {
    const stat = fs.statSync(file)
    if (stat.mtimeMs === mtime) return
    const data = readFile(file)
    const now = opts.now()
    const usable = data.keys.filter((k) => k.privateJwk.d && (!k.retiredAt || k.retiredAt > now)).sort((a, b) => activation(b) - activation(a))
    if (!usable.length) throw new Error(`${file}: no key with a private part that is active or pending`)
    signers = await Promise.all(usable.map(async (key) => ({ key, signer: await localSigner(key.kid, key.privateJwk) })))
    keys = data.keys
    verifier = undefined
    mtime = stat.mtimeMs
  }
  await load()
  // The key that signs at `now`: a pending key takes over at its activation time without a re-read. Should a
  // hand-edited file leave a gap, the newest key already activated signs, else the first pending one.
  const signerAt = (now: number): Signer =>
    (signers.find((s) => signsAt(s.key, now)) ?? signers.find((s) => activation(s.key) <= now) ?? signers.at(-1)!).signer
  const publishedNow = (): StoredKey[] => { const now = opts.now(); return keys.filter((k) => published(k, now, opts.retainSeconds)) }
  const jwks = () => ({ keys: publishedNow().map(publicJwk) })
  return {
    signer: () => signerAt(opts.now()),
    status() {
      const now = opts.now()
      return keys.map((k) => ({ kid: k.kid, state: stateAt(k, now), createdAt: new Date(k.createdAt).toISOString(),
        activatesAt: new Date(activation(k)).toISOString(), ...(k.retiredAt ? { retiredAt: new Date(k.retiredAt).toISOString() } : {}) }))
    },
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

export interface RotateKeysOptions {
  /**
   * How long the new key is published before it signs (default KEY_ACTIVATION_DELAY_SECONDS); the keys it replaces
   * sign until then. 0 (`keys rotate --now`) when the current key is compromised.
   */
  activationDelaySeconds?: number
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
  const data = readFile(file)
  const activatesAt = now + (opts.activationDelaySeconds ?? KEY_ACTIVATION_DELAY_SECONDS) * 1000
  const retired: string[] = []
  const dropped: string[] = []
  for (const k of data.keys) {
    // A key retired later than the new one activates (a pending rotation, then `--now`) stops then.
    if (!k.retiredAt || k.retiredAt > activatesAt) { k.retiredAt = activatesAt; retired.push(k.kid) }
  }
  for (const k of data.keys) {
    if (!published(k, now, retainSeconds) && k.privateJwk.d) {
      delete k.privateJwk.d
      dropped.push(k.kid)
    }
  }
  const key = { ...await newKey(now), activatesAt }
  writeFile(file, { keys: [...data.keys, key] })
  return { file, kid: key.kid, activatesAt: new Date(activatesAt).toISOString(), retired, dropped }
}
