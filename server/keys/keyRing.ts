import fs from 'node:fs'
import path from 'node:path'
import { createLocalJWKSet, type JWK } from 'jose'
import { activation, KEYS_FILE, neverSigned, newKey, published, readKeyFile, writeKeyFile, type StoredKey } from './keyFile.ts'
import { localSigner, type Signer } from './signer.ts'

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

/** A key's state at a moment: published but not yet signing, signing, or published for what it signed. */
export type KeyState = 'pending' | 'active' | 'retired'

export interface KeyStatus {
  kid: string
  state: KeyState
  createdAt: string
  activatesAt: string
  retiredAt?: string
  /** In the JWKS (and did.json) now: not yet retired, or retired within the retention; never after retiring unused. */
  published: boolean
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
  /**
   * Re-reads the key file if it changed (a rotation by the CLI or another instance). A file that cannot be read or
   * parsed leaves the last good set in use (and published): it never throws once the ring is open.
   */
  refresh(): Promise<void>
  /** Since when and why the key file has failed to load, while it does. */
  failure(): KeyFileFailure | undefined
}

export interface KeyFileFailure {
  /** When the first failed re-read of this run of failures happened (ring's clock, ms). */
  since: number
  error: string
  /**
   * Failing for longer than `retainSeconds`: had the file been rotated meanwhile, the other instances would have
   * retired and unpublished the key this one still signs with, so its tokens no longer verify there (`/readyz`
   * fails, so the load balancer drains it).
   */
  stale: boolean
}

export interface OpenKeyRingOptions {
  dir: string
  /** Create a key when the directory has none (development); otherwise refuse to start. */
  createIfMissing: boolean
  /** How long a retired key stays published: the longest lifetime of anything it signed. */
  retainSeconds: number
  now: () => number
  onCreated?: (info: { kid: string; file: string }) => void
  /** A re-read failed, with an error other than the previous one (so a broken file is told once, not every 30 s). */
  onRefreshFailed?: (info: { file: string; error: string }) => void
  /** The file loads again after failures. */
  onRefreshRecovered?: (info: { file: string }) => void
  /** The key file can be read or written by its group or others (told once per mode seen). */
  onLooseMode?: (info: { file: string; mode: string }) => void
}

const signsAt = (k: StoredKey, now: number): boolean => activation(k) <= now && (!k.retiredAt || k.retiredAt > now)
const stateAt = (k: StoredKey, now: number): KeyState =>
  signsAt(k, now) ? 'active' : activation(k) > now && (!k.retiredAt || k.retiredAt > now) ? 'pending' : 'retired'

const publicJwk = (k: StoredKey): JWK => ({ kty: k.privateJwk.kty, crv: k.privateJwk.crv, x: k.privateJwk.x, y: k.privateJwk.y, kid: k.kid, alg: k.alg, use: 'sig' })

export async function openKeyRing(opts: OpenKeyRingOptions): Promise<KeyRing> {
  const file = path.join(opts.dir, KEYS_FILE)
  if (!fs.existsSync(file)) {
    if (!opts.createIfMissing) {
      throw new Error(`no signing keys at ${file}: create the key set once with \`npm run sigil -- keys init\` (it writes to SIGIL_KEYS_DIR, `
        + 'or to the data directory when that is unset); development keys (SIGIL_DEV_KEYS=true) are created only when SIGIL_KEYS_DIR is unset')
    }
    const key = await newKey(opts.now())
    writeKeyFile(file, { keys: [key] })
    opts.onCreated?.({ kid: key.kid, file })
  }
  /** The file last loaded: mtime, inode and size (a rename over it is a new inode even within one mtime tick). */
  let seen = ''
  let keys: StoredKey[] = []
  /** Signers of the keys that sign now or will (pending), newest activation first. */
  let signers: { key: StoredKey; signer: Signer }[] = []
  let verifier: { kids: string; keySet: ReturnType<typeof createLocalJWKSet> } | undefined
  let looseMode: number | undefined
  const load = async (): Promise<void> => {
    const stat = fs.statSync(file)
    // Private keys: the owner's only. A rotation keeps the mode it finds, so a loose one stays until fixed.
    const mode = stat.mode & 0o777
    if (mode & 0o077 && mode !== looseMode) opts.onLooseMode?.({ file, mode: mode.toString(8).padStart(4, '0') })
    looseMode = mode & 0o077 ? mode : undefined
    const version = `${stat.mtimeMs}:${stat.ino}:${stat.size}`
    if (version === seen) return
    const data = readKeyFile(file)
    const now = opts.now()
    const usable = data.keys.filter((k) => k.privateJwk.d && (!k.retiredAt || k.retiredAt > now)).sort((a, b) => activation(b) - activation(a))
    if (!usable.length) throw new Error(`${file}: no key with a private part that is active or pending`)
    signers = await Promise.all(usable.map(async (key) => ({ key, signer: await localSigner(key.kid, key.privateJwk) })))
    keys = data.keys
    verifier = undefined
    seen = version
  }
  await load()
  let failing: { since: number; error: string } | undefined
  /**
   * Failing this long, the instance is not ready: a key rotated in meanwhile may sign elsewhere from
   * KEY_ACTIVATION_DELAY_SECONDS after the rotation, and this instance would refuse its tokens (and serve a JWKS
   * without it); past retainSeconds the others no longer publish the key this one still signs with.
   */
  const staleAfterSeconds = Math.min(opts.retainSeconds, KEY_ACTIVATION_DELAY_SECONDS - KEY_REFRESH_SECONDS)
  let refreshing: Promise<void> | undefined
  // One re-read at a time: two finishing out of order could put the older set back.
  const refresh = (): Promise<void> => (refreshing ??= reload().finally(() => { refreshing = undefined }))
  const reload = async (): Promise<void> => {
    try {
      await load()
    } catch (err) {
      // The last good set stays: the keys in it are still the right ones for everything signed until the file broke,
      // and answering 500 for the JWKS would make verifiers refuse this instance's tokens at once.
      const error = (err as Error).message
      if (failing?.error !== error) opts.onRefreshFailed?.({ file, error })
      failing = { since: failing?.since ?? opts.now(), error }
      return
    }
    if (failing) {
      failing = undefined
      opts.onRefreshRecovered?.({ file })
    }
  }
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
        activatesAt: new Date(activation(k)).toISOString(), ...(k.retiredAt ? { retiredAt: new Date(k.retiredAt).toISOString() } : {}),
        published: published(k, now, opts.retainSeconds) }))
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
    // Keys that never signed have nothing to verify: left out, so a leaked one cannot vouch for an old checkpoint.
    history: () => ({ keys: keys.filter((k) => !neverSigned(k)).map(publicJwk) }),
    refresh,
    failure: () => failing && { ...failing, stale: opts.now() - failing.since > staleAfterSeconds * 1000 },
  }
}
