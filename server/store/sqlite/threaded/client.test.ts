import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import type { Worker } from 'node:worker_threads'
import { StoreConflictError, StoreUnavailableError } from '../../errors.ts'
import { makePasskey, makeUser } from '../../contract/fixtures.ts'
import { openSqliteStore } from '../openSqliteStore.ts'
import { openThreadedSqliteStore, STORE_THREAD } from './client.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-thread-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = (): string => path.join(dir, `t${++n}.db`)

describe('threaded SQLite store: group commit', () => {
  test('calls made in one turn go as one batch; a call that fails is rolled back alone and the others commit', async () => {
    const at = file()
    const store = await openThreadedSqliteStore({ path: at })
    const first = makeUser()
    const clash = makeUser({ handle: first.handle })
    const clashKey = makePasskey(clash.id)
    const ok = makeUser()
    try {
      await store.users.createWithPasskey(first, makePasskey(first.id))
      // Both calls leave in the same batch (same turn): one transaction, a savepoint each.
      const [bad, good] = await Promise.allSettled([store.users.createWithPasskey(clash, clashKey), store.users.createWithPasskey(ok, makePasskey(ok.id))])
      assert.equal(bad.status, 'rejected')
      const reason = (bad as PromiseRejectedResult).reason as unknown
      assert.ok(reason instanceof StoreConflictError, 'the conflict keeps its class across the thread')
      assert.equal(reason.field, 'handle')
      assert.equal(good.status, 'fulfilled')
    } finally {
      await store.close()
    }
    // A plain connection on the file: the good call committed, nothing of the failed one did.
    const direct = openSqliteStore({ path: at })
    try {
      assert.deepEqual(await direct.users.get(ok.id), ok)
      assert.deepEqual(await direct.users.getByHandle(first.handle), first)
      assert.equal(await direct.users.get(clash.id), undefined)
      assert.equal(await direct.passkeys.get(clashKey.id), undefined)
    } finally {
      await direct.close()
    }
  })

  test('an answer is given only after its batch committed: another connection sees the write at once', async () => {
    const at = file()
    const store = await openThreadedSqliteStore({ path: at })
    const direct = openSqliteStore({ path: at })
    try {
      for (let i = 0; i < 20; i++) {
        const u = makeUser()
        const p = makePasskey(u.id)
        await store.users.createWithPasskey(u, p)
        assert.deepEqual(await direct.users.get(u.id), u, `write ${i} visible to another connection when its caller is answered`)
        assert.equal(await store.challenges.consume(`missing-${i}`), undefined)
      }
    } finally {
      await direct.close()
      await store.close()
    }
  })

  test('a single-use value is consumed once when 50 calls race in one batch and across two store threads', async () => {
    const at = file()
    const a = await openThreadedSqliteStore({ path: at })
    const b = await openThreadedSqliteStore({ path: at })
    try {
      await a.challenges.put({ challenge: 'race-1', kind: 'login', expiresAt: Date.now() + 60_000 })
      const got = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).challenges.consume('race-1')))
      assert.equal(got.filter((x) => x !== undefined).length, 1)
    } finally {
      await b.close()
      await a.close()
    }
  })

  test('an argument that cannot be cloned fails that call only', async () => {
    const store = await openThreadedSqliteStore({ path: file() })
    try {
      const u = makeUser()
      const results = await Promise.allSettled([
        store.users.get((() => 'x') as unknown as string),
        store.users.createWithPasskey(u, makePasskey(u.id)),
      ])
      assert.equal(results[0].status, 'rejected')
      assert.equal(results[1].status, 'fulfilled')
      assert.deepEqual(await store.users.get(u.id), u)
    } finally {
      await store.close()
    }
  })

  test('outbox.drain hands events to a handler in this thread; a failing handler leaves them for the next drain', async () => {
    const store = await openThreadedSqliteStore({ path: file() })
    try {
      const u = makeUser()
      await store.users.createWithPasskey(u, makePasskey(u.id), [{ id: 'ev1', type: 'user.created', at: 1, subject: u.id, data: { n: 1 } }])
      await assert.rejects(store.outbox.drain(async () => { throw new Error('receiver down') }, 10), /receiver down/)
      const seen: string[] = []
      assert.equal(await store.outbox.drain(async (events) => { seen.push(...events.map((e) => e.id)) }, 10), 1)
      assert.deepEqual(seen, ['ev1'])
      assert.equal(await store.outbox.drain(async () => assert.fail('nothing left'), 10), 0)
    } finally {
      await store.close()
    }
  })

  test('if the store thread dies, calls in flight and later calls fail closed with StoreUnavailableError, and onDown is told once', async () => {
    const downs: Error[] = []
    const store = await openThreadedSqliteStore({ path: file(), onDown: (err) => downs.push(err) })
    const worker = (store as unknown as Record<symbol, Worker>)[STORE_THREAD]!
    const inFlight = store.users.get('someone')
    await worker.terminate()
    await assert.rejects(inFlight.then(() => store.ping()), (e) => e instanceof StoreUnavailableError)
    await assert.rejects(store.ping(), (e) => e instanceof StoreUnavailableError)
    await store.close()
    assert.equal(downs.length, 1)
  })

  test('close is not a death: onDown is not called', async () => {
    const downs: Error[] = []
    const store = await openThreadedSqliteStore({ path: file(), onDown: (err) => downs.push(err) })
    await store.ping()
    await store.close()
    await assert.rejects(store.ping(), (e) => e instanceof StoreUnavailableError)
    assert.deepEqual(downs, [])
  })

  test('a database that cannot be opened fails the open, naming the cause', async () => {
    const notADir = path.join(dir, 'plain-file')
    fs.writeFileSync(notADir, 'x')
    await assert.rejects(openThreadedSqliteStore({ path: path.join(notADir, 'db.sqlite') }), /directory|open/i)
  })
})
