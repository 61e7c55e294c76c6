import fs from 'node:fs'
import path from 'node:path'
import { pino, type Logger } from 'pino'
import type { Config } from './config.ts'
import { connectRedisStore, openGroupedSqliteStore, openSqliteStore, openThreadedSqliteStore, type Store } from './store/index.ts'
import { openKeyRing, type KeyRing } from './keys/index.ts'

/** Keys stay published this long after rotation: the longest lifetime of anything they sign, plus clock skew. */
export const keyRetainSeconds = (config: Config): number => config.accessTokenSeconds + 300

export const keysDirOf = (config: Config): string => config.keysDir ?? config.dataDir

/** JSON logs to stdout (fd 1), or another fd: the CLI logs to stderr so its stdout stays machine-readable. */
export function createLogger(level: string, fd = 1): Logger {
  return pino({
    level,
    base: { service: 'sigil', pid: process.pid },
    // Defence in depth: handlers never log these, and if one ever did they are cut here.
    redact: { paths: ['*.authorization', '*.cookie', '*.code', '*.codes', '*.token', '*.access_token', '*.response', '*.handle', '*.displayName'], censor: '[redacted]' },
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
  if (opts.mode === 'group') return openGroupedSqliteStore({ path: file })
  if (opts.mode === 'thread') return openThreadedSqliteStore({ path: file, ...(opts.onDown ? { onDown: opts.onDown } : {}) })
  return openSqliteStore({ path: file })
}

export function openKeys(config: Config, log: Logger): Promise<KeyRing> {
  return openKeyRing({
    dir: keysDirOf(config),
    createIfMissing: !config.keysDir && config.devKeys,
    retainSeconds: keyRetainSeconds(config),
    now: Date.now,
    onCreated: ({ kid, file }) => log.warn({ kid, file }, 'created a development signing key (set SIGIL_KEYS_DIR for production keys)'),
  })
}
