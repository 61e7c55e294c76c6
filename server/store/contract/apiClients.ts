import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { makeApiClient } from './fixtures.ts'
import { type ContractTarget, conflictOn, withStores } from './harness.ts'

export function apiClientsContract(name: string, target: ContractTarget) {
  describe(`${name}: API clients`, () => {
    test('create, get and getByKeyHash round-trip', () => withStores(target, async (store) => {
      const c = makeApiClient({ roles: ['approver', 'auditor'] })
      await store.apiClients.create(c)
      assert.deepEqual(await store.apiClients.get(c.id), c)
      assert.deepEqual(await store.apiClients.getByKeyHash(c.keyHash), c)
    }))

    test('unknown id or key hash is undefined', () => withStores(target, async (store) => {
      assert.equal(await store.apiClients.get('no-such-client'), undefined)
      assert.equal(await store.apiClients.getByKeyHash('no-such-hash'), undefined)
    }))

    test('a taken id is a conflict on id', () => withStores(target, async (store) => {
      const c = makeApiClient()
      await store.apiClients.create(c)
      const again = makeApiClient({ id: c.id })
      await assert.rejects(store.apiClients.create(again), conflictOn('id'))
      assert.deepEqual(await store.apiClients.get(c.id), c)
      assert.equal(await store.apiClients.getByKeyHash(again.keyHash), undefined)
    }))

    test('list returns every client', () => withStores(target, async (store) => {
      assert.deepEqual(await store.apiClients.list(), [])
      const clients = [makeApiClient({ roles: [] }), makeApiClient(), makeApiClient({ revokedAt: Date.now() })]
      for (const c of clients) await store.apiClients.create(c)
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id)
      assert.deepEqual((await store.apiClients.list()).sort(byId), [...clients].sort(byId))
    }))

    test('revoke sets revokedAt once and keeps the first time', () => withStores(target, async (store) => {
      const c = makeApiClient()
      await store.apiClients.create(c)
      const at = Date.now()
      assert.equal(await store.apiClients.revoke(c.id, at), true)
      assert.deepEqual(await store.apiClients.get(c.id), { ...c, revokedAt: at })
      assert.equal(await store.apiClients.revoke(c.id, at + 1000), false)
      // Still found by key hash: deciding that a revoked client is refused is the caller's job.
      assert.deepEqual(await store.apiClients.getByKeyHash(c.keyHash), { ...c, revokedAt: at })
      assert.equal(await store.apiClients.revoke('no-such-client', at), false)
    }))
  })
}
