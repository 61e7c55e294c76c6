import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { StoreConflictError, StoreUnavailableError } from '../errors.ts'
import { makePasskey, makeUser } from '../contract/fixtures.ts'
import { openSqliteStore, openSqliteStoreWithDb } from './openSqliteStore.ts'
import { GROUP_STATS, openGroupedSqliteStore, SQLITE_READS } from './grouped.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-group-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = (): string => path.join(dir, `g${++n}.db`)
type Stats = { batches: number; calls: number; busyRetries: number; reads: number }
const statsOf = (store: object): Stats => (store as Record<symbol, Stats>)[GROUP_STATS]!
/** How many times a 5 ms timer fired while `work` ran: SQLite's own busy wait would sleep the thread, and none would. */
async function ticksDuring(work: Promise<unknown>): Promise<number> {
  let ticks = 0
  const ticker = setInterval(() => ticks++, 5)
  try {
    await work
  } finally {
    clearInterval(ticker)
  }
  return ticks
}
/** A thread with its own connection that takes the write lock and keeps it `ms` (as a CLI command might). */
function lockHolder(at: string, ms: number): { locked: Promise<unknown>; exited: Promise<unknown> } {
  const holder = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads')
    const db = new (require(workerData.module))(workerData.path)
    db.exec('BEGIN IMMEDIATE')
    parentPort.postMessage('locked')
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms)
    db.exec('COMMIT')
    db.close()
  `, { eval: true, workerData: { path: at, ms, module: createRequire(import.meta.url).resolve('better-sqlite3') } })
  return { locked: once(holder, 'message'), exited: once(holder, 'exit') }
}

describe('SQLite store with group commit on the event loop', () => {
  test('the calls of one turn are one batch; a call that fails is rolled back alone and the others commit', async () => {
    const at = file()
    const store = openGroupedSqliteStore({ path: at })
    const first = makeUser()
    const clash = makeUser({ handle: first.handle })
    const clashKey = makePasskey(clash.id)
    const others = Array.from({ length: 20 }, () => makeUser())
    try {
      await store.users.createWithPasskey(first, makePasskey(first.id))
      const before = { ...statsOf(store) }
      const results = await Promise.allSettled([
        store.users.createWithPasskey(clash, clashKey),
        ...others.map((u) => store.users.createWithPasskey(u, makePasskey(u.id))),
      ])
      assert.deepEqual(statsOf(store), { ...before, batches: before.batches + 1, calls: before.calls + 21 }, 'one batch for the turn')
      const reason = (results[0] as PromiseRejectedResult).reason as unknown
      assert.ok(reason instanceof StoreConflictError, 'the caller gets the error as thrown')
      assert.equal(reason.field, 'handle')
      assert.ok(results.slice(1).every((r) => r.status === 'fulfilled'))
    } finally {
      await store.close()
    }
    const direct = openSqliteStore({ path: at })
    try {
      for (const u of others) assert.deepEqual(await direct.users.get(u.id), u)
      assert.equal(await direct.users.get(clash.id), undefined)
      assert.equal(await direct.passkeys.get(clashKey.id), undefined, 'nothing of the failed call is left')
    } finally {
      await direct.close()
    }
  })

  test('a caller is answered only after the commit: another connection sees the write at once', async () => {
    const at = file()
    const store = openGroupedSqliteStore({ path: at })
    const direct = openSqliteStore({ path: at })
    try {
      for (let i = 0; i < 20; i++) {
        const u = makeUser()
        await store.users.createWithPasskey(u, makePasskey(u.id))
        assert.deepEqual(await direct.users.get(u.id), u, `write ${i} visible to another connection when its caller is answered`)
      }
    } finally {
      await direct.close()
      await store.close()
    }
  })

  test('while another connection holds the write lock, the batch waits for it without stopping the event loop, then commits', async () => {
    const at = file()
    const store = openGroupedSqliteStore({ path: at })
    const { locked, exited } = lockHolder(at, 300)
    try {
      await locked
      const u = makeUser()
      const before = statsOf(store).busyRetries
      // SQLite's own busy timeout would sleep this thread until the lock is free: no timer would fire meanwhile.
      const t0 = performance.now()
      const ticks = await ticksDuring(store.users.createWithPasskey(u, makePasskey(u.id)))
      assert.ok(performance.now() - t0 >= 200, 'the batch waited for the lock')
      assert.ok(ticks >= 10, `the event loop ran timers while the batch waited (${ticks} ticks of 5 ms in ${(performance.now() - t0).toFixed(0)} ms)`)
      assert.ok(statsOf(store).busyRetries > before, 'the batch was tried again')
      assert.deepEqual(await store.users.get(u.id), u)
    } finally {
      await exited
      await store.close()
    }
  })

  test('a write lock held past the busy timeout fails the waiting calls with StoreUnavailableError; nothing of them is written', async () => {
    const at = file()
    const store = openGroupedSqliteStore({ path: at, busyTimeoutMs: 150 })
    const { locked, exited } = lockHolder(at, 600)
    const u = makeUser()
    try {
      await locked
      const t0 = performance.now()
      await assert.rejects(store.users.createWithPasskey(u, makePasskey(u.id)), StoreUnavailableError)
      const waited = performance.now() - t0
      assert.ok(waited >= 150 && waited < 550, `failed after the busy timeout, not when the lock was freed (${waited.toFixed(0)} ms)`)
      await exited
      assert.equal(await store.users.get(u.id), undefined)
      // The lock is free again: the next call goes through.
      await store.users.createWithPasskey(u, makePasskey(u.id))
      assert.deepEqual(await store.users.get(u.id), u)
    } finally {
      await exited
      await store.close()
    }
  })

  test('close waits for a batch that is waiting for the write lock, and commits it', async () => {
    const at = file()
    const store = openGroupedSqliteStore({ path: at })
    const { locked, exited } = lockHolder(at, 200)
    const u = makeUser()
    try {
      await locked
      const made = store.users.createWithPasskey(u, makePasskey(u.id))
      await new Promise((resolve) => setTimeout(resolve, 20))
      await store.close()
      await made
    } finally {
      await exited
    }
    const again = openSqliteStore({ path: at })
    assert.deepEqual(await again.users.get(u.id), u)
    await again.close()
  })

  test('outbox.drain reads outside the batches; a failing handler leaves the events for the next drain', async () => {
    const store = openGroupedSqliteStore({ path: file() })
    try {
      const u = makeUser()
      await store.users.createWithPasskey(u, makePasskey(u.id), [{ id: 'ev1', type: 'user.created', at: 1, subject: u.id, data: { n: 1 } }])
      await assert.rejects(store.outbox.drain(async () => { throw new Error('receiver down') }, 10), /receiver down/)
      const seen: string[] = []
      // Store calls made from inside the handler still go through batches and commit.
      assert.equal(await store.outbox.drain(async (events) => { seen.push(...events.map((e) => e.id)); await store.ping() }, 10), 1)
      assert.deepEqual(seen, ['ev1'])
      assert.equal(await store.outbox.drain(async () => assert.fail('nothing left'), 10), 0)
    } finally {
      await store.close()
    }
  })

  test('a drain whose removal finds the write lock taken does not stop the event loop; the events go once the lock is free', async () => {
    const at = file()
    const store = openGroupedSqliteStore({ path: at })
    const u = makeUser()
    await store.users.createWithPasskey(u, makePasskey(u.id), [{ id: 'ev1', type: 'user.created', at: 1, subject: u.id, data: { n: 1 } }])
    const { locked, exited } = lockHolder(at, 300)
    try {
      await locked
      const seen: string[] = []
      let drained = 0
      const ticks = await ticksDuring(store.outbox.drain(async (events) => { seen.push(...events.map((e) => e.id)) }, 10).then((n) => { drained = n }))
      assert.equal(drained, 1)
      assert.deepEqual(seen, ['ev1'])
      assert.ok(ticks >= 10, `the event loop ran timers while the removal waited (${ticks} ticks of 5 ms)`)
      assert.equal(await store.outbox.pending(), 0)
    } finally {
      await exited
      await store.close()
    }
  })

  test('every method run as a read exists and only reads: each runs on a connection set query_only', async () => {
    const { store, db } = openSqliteStoreWithDb({ path: file() })
    const u = makeUser()
    const key = makePasskey(u.id)
    await store.users.createWithPasskey(u, key)
    // Arguments that find the rows above where a method takes an id, so that a read that wrote on a hit would fail too.
    const args: Record<string, unknown[]> = {
      'users.get': [u.id], 'users.getByHandle': [u.handle], 'passkeys.get': [key.id], 'passkeys.getWithOwner': [key.id],
      'passkeys.listByUser': [u.id], 'sessions.get': ['x'], 'sessions.getWithUser': ['x'], 'sessions.listByUser': [u.id], 'recovery.getSalt': [u.id],
      'recovery.remaining': [u.id], 'apiClients.get': ['x'], 'apiClients.getByKeyHash': ['x'], 'apiClients.list': [],
      'audit.list': [{ limit: 10 }], 'audit.latestOfType': ['x'], 'outbox.pending': [], 'webhooks.getSubscription': ['x'], 'webhooks.listSubscriptions': [],
      'webhooks.getDelivery': ['x'], 'webhooks.listDeliveries': [{ limit: 10 }], 'approvals.get': ['x'],
      'approvals.listPending': [10], 'approvals.listRecent': [10], 'approvals.approvedAmounts': ['w', 'eth', 0], 'approvals.pendingAmounts': ['w', 'eth', 0],
      'policySets.getActive': [], 'policySets.getVersion': ['v'], 'kyc.getSubject': ['x'], 'kyc.getAccessToken': ['x'],
      'kyc.getCredential': ['x'], 'kyc.getCredentialByStatusEntry': ['l', 1], 'kyc.listCredentials': ['x', 10],
      'kyc.statusEntries': ['l'], 'kyc.statusListUsage': ['l'],
    }
    try {
      db.pragma('query_only = ON')
      await assert.rejects(store.users.createWithPasskey(makeUser(), makePasskey(u.id)), /readonly/i, 'the connection refuses writes')
      for (const [area, methods] of Object.entries(SQLITE_READS)) {
        for (const method of methods) {
          const name = `${area}.${method}`
          const fn = (store as unknown as Record<string, Record<string, unknown>>)[area]?.[method]
          assert.equal(typeof fn, 'function', `${name} is a method of the store`)
          assert.ok(args[name], `the test has arguments for ${name}`)
          await (fn as (...a: unknown[]) => Promise<unknown>).apply((store as unknown as Record<string, object>)[area], args[name]!)
        }
      }
    } finally {
      db.pragma('query_only = OFF')
      await store.close()
    }
  })

  test('a read runs at once when no batch is waiting, and joins the batch when one is', async () => {
    const store = openGroupedSqliteStore({ path: file() })
    try {
      const u = makeUser()
      const before = { ...statsOf(store) }
      assert.equal(await store.users.get(u.id), undefined)
      assert.deepEqual(statsOf(store), { ...before, reads: before.reads + 1 }, 'alone: no batch')
      // Made in the same turn as a write: it joins the write's batch, runs after it and is answered after the commit.
      const write = store.users.createWithPasskey(u, makePasskey(u.id))
      const read = store.users.get(u.id)
      assert.deepEqual(await read, u)
      await write
      assert.deepEqual(statsOf(store), { ...before, batches: before.batches + 1, calls: before.calls + 2, reads: before.reads + 1 })
      assert.deepEqual(await store.users.get(u.id), u)
    } finally {
      await store.close()
    }
    await assert.rejects(store.users.get('x'), (e) => e instanceof StoreUnavailableError, 'a read after close fails like a write')
  })

  test('while a batch waits for another connection\'s write lock, reads do not wait with it', async () => {
    const at = file()
    const store = openGroupedSqliteStore({ path: at })
    const u = makeUser()
    await store.users.createWithPasskey(u, makePasskey(u.id))
    const { locked, exited } = lockHolder(at, 300)
    try {
      await locked
      const other = makeUser()
      const waiting = store.users.createWithPasskey(other, makePasskey(other.id))
      await new Promise((resolve) => setTimeout(resolve, 20))
      const t0 = performance.now()
      assert.deepEqual(await store.users.get(u.id), u)
      assert.ok(performance.now() - t0 < 100, 'the read did not wait for the lock')
      await waiting
    } finally {
      await exited
      await store.close()
    }
  })

  test('close commits the calls already made; later calls fail with StoreUnavailableError', async () => {
    const at = file()
    const store = openGroupedSqliteStore({ path: at })
    const u = makeUser()
    const made = store.users.createWithPasskey(u, makePasskey(u.id))
    await store.close()
    await made
    await assert.rejects(store.ping(), (e) => e instanceof StoreUnavailableError)
    await assert.rejects(store.outbox.drain(async () => undefined, 1), (e) => e instanceof StoreUnavailableError)
    await store.close()
    const direct = openSqliteStore({ path: at })
    try {
      assert.deepEqual(await direct.users.get(u.id), u)
    } finally {
      await direct.close()
    }
  })
})
