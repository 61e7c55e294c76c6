import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createClient } from 'redis'
import { startRedisServer, type TestRedisServer } from '../../testing/redisServer.ts'
import { makePasskey, makeUser } from '../contract/fixtures.ts'
import { makeApproval } from '../contract/approvals.ts'
import { StoreConflictError, StoreUnavailableError } from '../errors.ts'
import { redisApprovals } from './approvals.ts'
import { redisAudit } from './audit.ts'
import { redisIdempotency } from './idempotency.ts'
import { openConnection, type RedisConn } from './connection.ts'
import { connectRedisStore } from './index.ts'
import { keyspace } from './keys.ts'
import { eventRunner, outboxMarker } from './outbox.ts'
import { redisUsers } from './users.ts'

// Partial failures of the Redis adapter: a command that times out (Redis still runs it later) or a connection
// lost between two commands of one store call. Each test stands for a review finding reproduced first.

let server: TestRedisServer
let raw: ReturnType<typeof createClient>
before(async () => {
  // DEBUG SLEEP stalls the server; Redis 7 allows DEBUG only when enabled (local connections suffice).
  server = await startRedisServer({ args: ['--enable-debug-command', 'local'] })
  raw = createClient({ url: server.url })
  await raw.connect()
})
after(async () => {
  await raw?.close()
  await server?.stop()
})

/** Redis stops answering for a while (a slow fsync, a failover, a long script): longer than the 2 s command timeout. */
async function stallRedis(): Promise<{ sleeping: Promise<unknown> }> {
  const stalled = raw.duplicate()
  await stalled.connect()
  const sleeping = stalled.sendCommand(['DEBUG', 'SLEEP', '2.5']).finally(() => stalled.close())
  await new Promise((r) => setTimeout(r, 30))
  return { sleeping }
}

test('a sign-up whose write timed out but was carried out keeps its handle: no user without an index, no second user with the handle', async () => {
  const keys = keyspace(`partial-${randomUUID()}`)
  const real = await openConnection({ url: server.url })
  let stallBeforeScript = false
  // The claims go through; Redis stalls just as the user's script goes out.
  const conn: RedisConn = { ...real, call: real.call, ping: real.ping, scan: real.scan, close: real.close,
    run: async (script, k, a) => {
      if (stallBeforeScript) { stallBeforeScript = false; await stallRedis() }
      return real.run(script, k, a)
    } }
  try {
    const users = redisUsers(conn, keys, eventRunner(conn, keys, outboxMarker(conn, keys)))
    // One sign-up first, so that Redis has the script cached (a NOSCRIPT answer would mean it never ran).
    const first = makeUser()
    await users.createWithPasskey(first, makePasskey(first.id))
    stallBeforeScript = true
    const alice = makeUser()
    await assert.rejects(users.createWithPasskey(alice, makePasskey(alice.id)), StoreUnavailableError)
    await new Promise((r) => setTimeout(r, 800))
    assert.ok(await users.get(alice.id), 'Redis carried the write out after the timeout')
    assert.equal((await users.getByHandle(alice.handle))?.id, alice.id, 'so the handle index stays: she can sign in')
    const mallory = makeUser({ handle: alice.handle })
    await assert.rejects(users.createWithPasskey(mallory, makePasskey(mallory.id)), (err) => err instanceof StoreConflictError && err.field === 'handle')
  } finally {
    await real.close()
  }
})

test('a sign-up whose claims timed out is not left holding the handle for ever', async () => {
  const store = await connectRedisStore({ url: server.url, prefix: `partial-${randomUUID()}` })
  try {
    const user = makeUser()
    const { sleeping } = await stallRedis()
    await assert.rejects(store.users.createWithPasskey(user, makePasskey(user.id)), StoreUnavailableError)
    await sleeping
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(await store.users.getByHandle(user.handle), undefined)
    // The person tries again (a new user id, the same handle): the claim of the failed attempt is gone.
    const retry = makeUser({ handle: user.handle })
    await store.users.createWithPasskey(retry, makePasskey(retry.id))
    assert.equal((await store.users.getByHandle(user.handle))?.id, retry.id)
  } finally {
    await store.close()
  }
})

test('an approval request whose index writes fail is not stored: never pending, unlisted and unreserved', async () => {
  const keys = keyspace(`partial-${randomUUID()}`)
  const real = await openConnection({ url: server.url })
  let failZadd = true
  const conn: RedisConn = { ...real, run: real.run, ping: real.ping, scan: real.scan, close: real.close,
    call: (key, args) => {
      if (failZadd && args[0] === 'ZADD') { failZadd = false; return Promise.reject(new StoreUnavailableError(new Error('ECONNRESET'))) }
      return real.call(key, args)
    } }
  try {
    const approvals = redisApprovals(conn, keys, eventRunner(conn, keys, outboxMarker(conn, keys)), redisAudit(conn, keys))
    const wallet = `w-${randomUUID()}`
    const a = makeApproval({ walletId: wallet, amount: '1000' })
    await assert.rejects(approvals.create(a), StoreUnavailableError)
    assert.equal(await approvals.get(a.id), undefined, 'the record comes last')
    // Written on a retry, the request is listed and reserved like any other.
    await approvals.create(a)
    assert.equal((await approvals.listPending(10)).filter((x) => x.id === a.id).length, 1)
    assert.equal((await approvals.listRecent(10)).filter((x) => x.id === a.id).length, 1)
    assert.deepEqual(await approvals.pendingAmounts(wallet, 'eth', Date.now()), ['1000'])
  } finally {
    await real.close()
  }
})

test('drained outbox streams are deleted, not kept empty for ever (one key per account, approval, token…)', async () => {
  const prefix = `partial-${randomUUID()}`
  const [a, b] = [await connectRedisStore({ url: server.url, prefix }), await connectRedisStore({ url: server.url, prefix })]
  try {
    for (let i = 0; i < 30; i++) {
      const u = makeUser()
      await a.users.createWithPasskey(u, makePasskey(u.id), [{ id: `evt_${randomUUID()}`, type: 'account.created', at: 1, subject: u.id, data: {} }])
    }
    const streams = async () => {
      const found: string[] = []
      for await (const batch of raw.scanIterator({ MATCH: `${prefix}:*`, TYPE: 'stream', COUNT: 1000 })) found.push(...(Array.isArray(batch) ? batch : [batch]))
      return found.filter((k) => !k.includes('audit'))
    }
    assert.ok((await streams()).length >= 30)
    let delivered = 0
    while (await b.outbox.drain(async (events) => { delivered += events.length }, 100) > 0) { /* until empty */ }
    assert.equal(delivered, 30)
    assert.equal(await a.outbox.pending(), 0)
    assert.deepEqual(await streams(), [], 'no empty stream left behind')
    // A new event for a drained entity is still written and delivered.
    const u = makeUser()
    await a.users.createWithPasskey(u, makePasskey(u.id), [{ id: `evt_${randomUUID()}`, type: 'account.created', at: 2, subject: u.id, data: {} }])
    while (await b.outbox.drain(async (events) => { delivered += events.length }, 100) > 0) { /* until empty */ }
    assert.equal(delivered, 31)
  } finally {
    await a.close()
    await b.close()
  }
})

test('an idempotency claim from before claims had a time (no claimedAt field) gets its lease from the next look, not at once', async () => {
  const keys = keyspace(`partial-${randomUUID()}`)
  const conn = await openConnection({ url: server.url })
  try {
    const idem = redisIdempotency(conn, keys)
    const t = Date.now()
    // What an older instance left mid-request: a pending claim with no claim time.
    await raw.hSet(keys.idempotency('old'), { fingerprint: 'fp', expiresAt: String(t + 86_400_000) })
    assert.deepEqual(await idem.begin('old', 'fp', t, 86_400_000, 60_000), { state: 'pending', fingerprint: 'fp' },
      'not taken over at once, as if it had been claimed in 1970')
    assert.equal(await raw.hGet(keys.idempotency('old'), 'claimedAt'), String(t), 'stamped with the time it was first seen')
    assert.deepEqual(await idem.begin('old', 'fp', t + 59_999, 86_400_000, 60_000), { state: 'pending', fingerprint: 'fp' })
    assert.deepEqual(await idem.begin('old', 'fp', t + 60_000, 86_400_000, 60_000), { state: 'new' }, 'taken over a lease later')
  } finally {
    await conn.close()
  }
})
