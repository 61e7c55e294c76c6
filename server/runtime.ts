import fs from 'node:fs'
import path from 'node:path'
import { pino, type Logger } from 'pino'
import type { Config } from './config.ts'
import { connectRedisStore, openGroupedSqliteStore, openSqliteStore, openThreadedSqliteStore, type Store } from './store/index.ts'
import { openKeyRing, type KeyRing } from './keys/index.ts'

/** Keys stay published this long after rotation: the longest lifetime of anything they sign, plus clock skew. */
export const keyRetainSeconds = (config: Config): number => config.accessTokenSeconds + 300

export const keysDirOf = (config: Config): string => config.keysDir ?? config.dataDir

/**
 * Members whose value is a secret or personal data, by name (compared lower-case), at any depth up to four: cut
 * from every log line. Defence in depth: handlers never log them. An exit code is `exitCode`, never `code`.
 */
const SECRET_MEMBERS = new Set(['authorization', 'cookie', 'set-cookie', 'code', 'codes', 'token', 'access_token',
  'refresh_token', 'id_token', 'response', 'handle', 'displayname', 'subjectref', 'presentation', 'vp_token', 'credential',
  'secret', 'apikey', 'nonce', 'c_nonce', 'challenge', 'pre-authorized_code', 'tx_code', 'pin', 'given_name',
  'family_name', 'birthdate', 'address', 'privatejwk', 'password', 'claims'])
const REDACTED = '[redacted]'

/**
 * The log record with secret members replaced, copied only where something is cut (a request's log line, all
 * primitives, is returned as is: about 0.2 µs, where pino's path-based `redact` cost 8 µs a line for one level
 * only and missed top-level members). Errors and other class instances are left to pino's serializers.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    value.forEach((v, i) => {
      const s = scrubSecrets(v, depth + 1)
      if (s !== v) (out ??= [...value])[i] = s
    })
    return out ?? value
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  let out: Record<string, unknown> | undefined
  for (const [k, v] of Object.entries(value)) {
    const s = SECRET_MEMBERS.has(k.toLowerCase()) ? (v === undefined ? v : REDACTED) : scrubSecrets(v, depth + 1)
    if (s !== v) (out ??= { ...value as Record<string, unknown> })[k] = s
  }
  return out ?? value
}

/** JSON logs to stdout (fd 1), or another fd: the CLI logs to stderr so its stdout stays machine-readable. */
export function createLogger(level: string, fd = 1): Logger {
  return pino({
    level,
    base: { service: 'sigil', pid: process.pid },
    formatters: { log: (record) => scrubSecrets(record) as Record<string, unknown> },
  }, pino.destination({ fd, sync: true }))
}

/**
 * The configured store. For SQLite, `mode` is the server's choice (SIGIL_SQLITE_MODE): `group` commits the calls
 * of one event-loop turn together, `thread` does the same on a store thread, `direct` (the CLI's short commands,
 * the default here) commits each call on its own. `onDown` is told if the store thread dies.
 */
export async function openStore(config: Config, opts: { mode?: Config['sqliteMode']; onDown?: (err: Error) => void } = {}): Promise<Store> {
  if (config.store === 'redis' && config.redis) {
    const { url, clusterNodes, prefix } = config.redis
    return connectRedisStore({ url, prefix, ...(clusterNodes.length ? { cluster: { rootNodes: clusterNodes } } : {}) })
  }
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const file = path.join(config.dataDir, 'sigil.db')
  // Sessions, recovery-code hashes, sealed KYC data: the owner's only, whatever the umask or the data directory's
  // mode (SQLite gives its -wal and -shm files the database file's permissions).
  if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600))
  const store = opts.mode === 'group' ? openGroupedSqliteStore({ path: file })
    : opts.mode === 'thread' ? openThreadedSqliteStore({ path: file, ...(opts.onDown ? { onDown: opts.onDown } : {}) })
    : openSqliteStore({ path: file })
  return store
}

/** For the metric: seconds the key file has failed to load, 0 while it loads. */
export const keyFileFailingSeconds = (keys: KeyRing, now: number): number => {
  const failure = keys.failure()
  return failure ? (now - failure.since) / 1000 : 0
}

/** The key ring; `create: false` for commands that only read keys (they must not make a development key). */
export function openKeys(config: Config, log: Logger, opts: { create?: boolean } = {}): Promise<KeyRing> {
  return openKeyRing({
    dir: keysDirOf(config),
    createIfMissing: (opts.create ?? true) && !config.keysDir && config.devKeys,
    retainSeconds: keyRetainSeconds(config),
    now: Date.now,
    onCreated: ({ kid, file }) => log.warn({ kid, file }, 'created a development signing key (set SIGIL_KEYS_DIR for production keys)'),
    onRefreshFailed: ({ file, error }) => log.error({ file, err: error }, 'the signing key file cannot be loaded; still using the last good key set'),
    onRefreshRecovered: ({ file }) => log.warn({ file }, 'the signing key file loads again'),
    onLooseMode: ({ file, mode }) => log.warn({ file, mode }, 'the signing key file is readable or writable by others than its owner: chmod 0600 (or 0400)'),
  })
}
