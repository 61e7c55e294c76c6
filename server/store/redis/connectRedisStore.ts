import type { Store } from '../ports.ts'
import { redisApiClients } from './apiClients.ts'
import { redisAudit } from './audit.ts'
import { redisChallenges } from './challenges.ts'
import { openConnection } from './connection.ts'
import { redisIdempotency } from './idempotency.ts'
import { keyspace } from './keys.ts'
import { redisPasskeys } from './passkeys.ts'
import { redisRateLimits } from './rateLimits.ts'
import { redisRecovery } from './recovery.ts'
import { redisSessions } from './sessions.ts'
import { redisUsers } from './users.ts'
import { eventRunner, outboxMarker, redisOutbox } from './outbox.ts'
import { redisWebhooks } from './webhooks.ts'
import { redisApprovals, redisPolicySets } from './approvals.ts'
import { redisKyc } from './kyc.ts'

export interface ConnectRedisStoreOptions {
  /** redis:// or rediss:// URL; with `cluster`, the first seed node. */
  url: string
  /** Prepended to every key, so that several deployments (or tests) can share a server; no braces. */
  prefix?: string
  /** Connect as a Redis Cluster client; `rootNodes` are further seed node URLs. */
  cluster?: { rootNodes: string[] }
}

/**
 * Connects to Redis (7.0 or later) or a Redis Cluster and returns the store. Several server instances can
 * share it: single-use values are taken atomically, and expiring records carry key TTLs ten minutes past
 * their expiry, leaving the decision to the services' clock.
 */
export async function connectRedisStore(opts: ConnectRedisStoreOptions): Promise<Store> {
  const keys = keyspace(opts.prefix ?? 'sigil')
  const conn = await openConnection({ url: opts.url, cluster: opts.cluster })
  const mark = outboxMarker(conn, keys)
  const runWithEvents = eventRunner(conn, keys, mark)
  const users = redisUsers(conn, keys, runWithEvents)
  const rateLimits = redisRateLimits(conn, keys)
  const audit = redisAudit(conn, keys)
  return {
    kind: 'redis',
    challenges: redisChallenges(conn, keys, rateLimits, runWithEvents),
    users,
    passkeys: redisPasskeys(conn, keys, runWithEvents, users),
    sessions: redisSessions(conn, keys, runWithEvents, users.get),
    recovery: redisRecovery(conn, keys, runWithEvents),
    apiClients: redisApiClients(conn, keys, runWithEvents),
    rateLimits,
    idempotency: redisIdempotency(conn, keys),
    audit,
    outbox: redisOutbox(conn, keys, mark),
    webhooks: redisWebhooks(conn, keys),
    approvals: redisApprovals(conn, keys, runWithEvents, audit),
    policySets: redisPolicySets(conn, keys, runWithEvents),
    kyc: redisKyc(conn, keys, runWithEvents),
    ping: () => conn.ping(),
    close: () => conn.close(),
  }
}
