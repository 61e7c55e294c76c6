import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { uid } from './fixtures.ts'
import { type ContractTarget, race, RACERS, withStores } from './harness.ts'

const TTL = 24 * 3_600_000
const response = { status: 201, contentType: 'application/json', body: '{"id":"appr_1"}' }

export function idempotencyContract(name: string, target: ContractTarget) {
  describe(`${name}: idempotency keys`, () => {
    test('new, then pending, then done with the stored response', () => withStores(target, async (store) => {
      const key = uid('idem')
      const now = Date.now()
      assert.deepEqual(await store.idempotency.begin(key, 'fp-1', now, TTL), { state: 'new' })
      assert.deepEqual(await store.idempotency.begin(key, 'fp-1', now + 1, TTL), { state: 'pending', fingerprint: 'fp-1' })
      await store.idempotency.complete(key, response)
      assert.deepEqual(await store.idempotency.begin(key, 'fp-1', now + 2, TTL),
        { state: 'done', fingerprint: 'fp-1', response })
    }))

    test('a different fingerprint is told the claimer\'s one', () => withStores(target, async (store) => {
      const key = uid('idem')
      const now = Date.now()
      await store.idempotency.begin(key, 'fp-1', now, TTL)
      assert.deepEqual(await store.idempotency.begin(key, 'fp-2', now, TTL), { state: 'pending', fingerprint: 'fp-1' })
      await store.idempotency.complete(key, response)
      assert.deepEqual(await store.idempotency.begin(key, 'fp-2', now, TTL),
        { state: 'done', fingerprint: 'fp-1', response })
    }))

    test('a claim left pending past its lease is taken over, once, by a retry with the same request', () => withStores(target, async (store, all) => {
      const key = uid('idem')
      const now = Date.now()
      const LEASE = 60_000
      assert.deepEqual(await store.idempotency.begin(key, 'fp-1', now, TTL, LEASE), { state: 'new' })
      assert.deepEqual(await store.idempotency.begin(key, 'fp-1', now + LEASE - 1, TTL, LEASE), { state: 'pending', fingerprint: 'fp-1' })
      assert.deepEqual(await store.idempotency.begin(key, 'fp-2', now + LEASE, TTL, LEASE), { state: 'pending', fingerprint: 'fp-1' },
        'another request is never let in')
      // The first request's process died: retries racing after the lease, exactly one takes over.
      const retries = await race(all, RACERS, (s) => s.idempotency.begin(key, 'fp-1', now + LEASE, TTL, LEASE))
      assert.equal(retries.filter((r) => r.state === 'new').length, 1)
      assert.ok(retries.every((r) => r.state === 'new' || (r.state === 'pending' && r.fingerprint === 'fp-1')))
      // The new claim has a lease of its own, and a done key is never taken over.
      assert.equal((await store.idempotency.begin(key, 'fp-1', now + LEASE + 1, TTL, LEASE)).state, 'pending')
      await store.idempotency.complete(key, response)
      assert.deepEqual(await store.idempotency.begin(key, 'fp-1', now + 10 * LEASE, TTL, LEASE), { state: 'done', fingerprint: 'fp-1', response })
      // Without a lease (as before), pending stays pending.
      const other = uid('idem')
      await store.idempotency.begin(other, 'fp', now, TTL)
      assert.equal((await store.idempotency.begin(other, 'fp', now + 10 * LEASE, TTL)).state, 'pending')
    }))

    test('an empty response body round-trips', () => withStores(target, async (store) => {
      const key = uid('idem')
      await store.idempotency.begin(key, 'fp', Date.now(), TTL)
      const empty = { status: 204, contentType: '', body: '' }
      await store.idempotency.complete(key, empty)
      assert.deepEqual(await store.idempotency.begin(key, 'fp', Date.now(), TTL),
        { state: 'done', fingerprint: 'fp', response: empty })
    }))

    test('abandon releases the claim', () => withStores(target, async (store) => {
      const key = uid('idem')
      const now = Date.now()
      await store.idempotency.begin(key, 'fp-1', now, TTL)
      await store.idempotency.abandon(key)
      assert.deepEqual(await store.idempotency.begin(key, 'fp-2', now, TTL), { state: 'new' })
      assert.deepEqual(await store.idempotency.begin(key, 'fp-1', now, TTL), { state: 'pending', fingerprint: 'fp-2' })
    }))

    test('abandon and complete of an unknown key do nothing', () => withStores(target, async (store) => {
      const key = uid('idem')
      await store.idempotency.abandon(key)
      await store.idempotency.complete(key, response)
      assert.deepEqual(await store.idempotency.begin(key, 'fp', Date.now(), TTL), { state: 'new' })
    }))

    test('a claim lasts until now passes now + ttl, then is replaced', () => withStores(target, async (store) => {
      const now = Date.now()
      const pending = uid('idem')
      await store.idempotency.begin(pending, 'fp-1', now, 1000)
      assert.deepEqual(await store.idempotency.begin(pending, 'fp-2', now + 1000, 1000),
        { state: 'pending', fingerprint: 'fp-1' })
      assert.deepEqual(await store.idempotency.begin(pending, 'fp-2', now + 1001, 1000), { state: 'new' })
      assert.deepEqual(await store.idempotency.begin(pending, 'fp-3', now + 1002, 1000),
        { state: 'pending', fingerprint: 'fp-2' })

      const done = uid('idem')
      await store.idempotency.begin(done, 'fp-1', now, 1000)
      await store.idempotency.complete(done, response)
      assert.deepEqual(await store.idempotency.begin(done, 'fp-2', now + 5000, 1000), { state: 'new' })
    }))

    test('keys are independent', () => withStores(target, async (store) => {
      const now = Date.now()
      const a = uid('idem')
      const b = uid('idem')
      await store.idempotency.begin(a, 'fp-a', now, TTL)
      await store.idempotency.complete(a, response)
      assert.deepEqual(await store.idempotency.begin(b, 'fp-b', now, TTL), { state: 'new' })
      assert.deepEqual(await store.idempotency.begin(b, 'fp-b', now, TTL), { state: 'pending', fingerprint: 'fp-b' })
    }))

    test(`${RACERS} concurrent begins of one key: exactly one is new`, () => withStores(target, async (_store, all) => {
      const key = uid('idem')
      const now = Date.now()
      const results = await race(all, RACERS, (s, i) => s.idempotency.begin(key, `fp-${i}`, now, TTL))
      const winner = results.findIndex((r) => r.state === 'new')
      assert.equal(results.filter((r) => r.state === 'new').length, 1)
      for (const r of results) {
        if (r.state !== 'new') assert.deepEqual(r, { state: 'pending', fingerprint: `fp-${winner}` })
      }
    }))
  })
}
