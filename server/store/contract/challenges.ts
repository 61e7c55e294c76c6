import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { makeCeremony, uid } from './fixtures.ts'
import { type ContractTarget, conflictOn, race, RACERS, withStores } from './harness.ts'

export function challengesContract(name: string, target: ContractTarget) {
  describe(`${name}: challenges`, () => {
    test('consume returns the ceremony once, then undefined', () => withStores(target, async (store) => {
      const c = makeCeremony({ kind: 'add-passkey', userId: uid('user'), data: { handle: 'ada' } })
      await store.challenges.put(c)
      assert.deepEqual(await store.challenges.consume(c.challenge), c)
      assert.equal(await store.challenges.consume(c.challenge), undefined)
    }))

    test('a ceremony without userId or data comes back without those keys', () => withStores(target, async (store) => {
      const c = makeCeremony({ kind: 'register' })
      await store.challenges.put(c)
      const got = await store.challenges.consume(c.challenge)
      assert.deepEqual(got, c)
      assert.ok(got && !('userId' in got) && !('data' in got))
    }))

    test('nested data round-trips', () => withStores(target, async (store) => {
      const data = { handle: 'ada', n: 3, ok: false, none: null, list: [1, 'two', { three: [] }], nested: { a: {} } }
      const c = makeCeremony({ kind: 'reauth', data })
      await store.challenges.put(c)
      assert.deepEqual((await store.challenges.consume(c.challenge))?.data, data)
    }))

    test('consume of an unknown challenge is undefined', () => withStores(target, async (store) => {
      assert.equal(await store.challenges.consume('never-issued'), undefined)
    }))

    test('challenges are independent', () => withStores(target, async (store) => {
      const a = makeCeremony()
      const b = makeCeremony({ kind: 'register' })
      await store.challenges.put(a)
      await store.challenges.put(b)
      assert.deepEqual(await store.challenges.consume(b.challenge), b)
      assert.deepEqual(await store.challenges.consume(a.challenge), a)
    }))

    test('putting an existing challenge again is a conflict on id', () => withStores(target, async (store) => {
      const c = makeCeremony()
      await store.challenges.put(c)
      await assert.rejects(store.challenges.put({ ...c, kind: 'register' }), conflictOn('id'))
      assert.deepEqual(await store.challenges.consume(c.challenge), c)
    }))

    test(`${RACERS} concurrent consumes: exactly one gets the ceremony`, () => withStores(target, async (store, all) => {
      const c = makeCeremony({ userId: uid('user') })
      await store.challenges.put(c)
      const got = await race(all, RACERS, (s) => s.challenges.consume(c.challenge))
      const winners = got.filter((g) => g !== undefined)
      assert.equal(winners.length, 1)
      assert.deepEqual(winners[0], c)
    }))
  })
}
