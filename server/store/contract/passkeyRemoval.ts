import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seedUser } from './fixtures.ts'
import { type ContractTarget, race, RACERS, withStores } from './harness.ts'

export function passkeyRemovalContract(name: string, target: ContractTarget) {
  describe(`${name}: passkeys.removeKeepingOne`, () => {
    test('removes a passkey while another remains', () => withStores(target, async (store) => {
      const { user, passkeys: [a, b] } = await seedUser(store, 2)
      assert.equal(await store.passkeys.removeKeepingOne(user.id, a!.id), 'removed')
      assert.equal(await store.passkeys.get(a!.id), undefined)
      assert.deepEqual(await store.passkeys.listByUser(user.id), [b])
    }))

    test('refuses the last passkey and keeps it', () => withStores(target, async (store) => {
      const { user, passkeys: [p] } = await seedUser(store)
      assert.equal(await store.passkeys.removeKeepingOne(user.id, p!.id), 'last_passkey')
      assert.deepEqual(await store.passkeys.get(p!.id), p)
    }))

    test('an unknown passkey is not_found', () => withStores(target, async (store) => {
      const { user } = await seedUser(store, 2)
      assert.equal(await store.passkeys.removeKeepingOne(user.id, 'no-such-credential'), 'not_found')
      assert.equal(await store.passkeys.removeKeepingOne('no-such-user', 'no-such-credential'), 'not_found')
      assert.equal((await store.passkeys.listByUser(user.id)).length, 2)
    }))

    test('another user\'s passkey is not_found and stays', () => withStores(target, async (store) => {
      const victim = await seedUser(store, 2)
      const attacker = await seedUser(store, 2)
      const target0 = victim.passkeys[0]!
      assert.equal(await store.passkeys.removeKeepingOne(attacker.user.id, target0.id), 'not_found')
      assert.deepEqual(await store.passkeys.get(target0.id), target0)
      assert.equal((await store.passkeys.listByUser(attacker.user.id)).length, 2)
    }))

    test('a removed passkey is not_found the second time', () => withStores(target, async (store) => {
      const { user, passkeys: [a] } = await seedUser(store, 3)
      assert.equal(await store.passkeys.removeKeepingOne(user.id, a!.id), 'removed')
      assert.equal(await store.passkeys.removeKeepingOne(user.id, a!.id), 'not_found')
    }))

    test('removing both of two passkeys at once leaves exactly one', () => withStores(target, async (store, all) => {
      const { user, passkeys } = await seedUser(store, 2)
      const results = await race(all, 2, (s, i) => s.passkeys.removeKeepingOne(user.id, passkeys[i]!.id))
      assert.deepEqual([...results].sort(), ['last_passkey', 'removed'])
      const left = await store.passkeys.listByUser(user.id)
      assert.equal(left.length, 1)
      assert.deepEqual(left[0], passkeys[results.indexOf('last_passkey')])
    }))

    test('with a keep list, removes only while another listed passkey stays', () => withStores(target, async (store) => {
      const { user, passkeys: [hw1, hw2, synced] } = await seedUser(store, 3)
      const keep = [hw1!.id, hw2!.id]
      assert.equal(await store.passkeys.removeKeepingOne(user.id, synced!.id, [], keep), 'removed')
      assert.equal(await store.passkeys.removeKeepingOne(user.id, hw1!.id, [], keep), 'removed')
      assert.equal(await store.passkeys.removeKeepingOne(user.id, hw2!.id, [], keep), 'last_passkey')
      assert.deepEqual((await store.passkeys.listByUser(user.id)).map((p) => p.id), [hw2!.id])
    }))

    test('with a keep list, the last listed passkey stays although others remain', () => withStores(target, async (store) => {
      const { user, passkeys: [hw, a] } = await seedUser(store, 3)
      assert.equal(await store.passkeys.removeKeepingOne(user.id, hw!.id, [], [hw!.id]), 'last_passkey')
      assert.equal(await store.passkeys.removeKeepingOne(user.id, a!.id, [], [hw!.id]), 'removed')
      assert.equal((await store.passkeys.listByUser(user.id)).length, 2)
    }))

    test('removing both listed passkeys at once (others remaining) leaves one listed', () => withStores(target, async (store, all) => {
      const { user, passkeys } = await seedUser(store, 4)
      const keep = [passkeys[0]!.id, passkeys[1]!.id]
      const results = await race(all, 2, (s, i) => s.passkeys.removeKeepingOne(user.id, keep[i]!, [], keep))
      assert.deepEqual([...results].sort(), ['last_passkey', 'removed'])
      const left = (await store.passkeys.listByUser(user.id)).map((p) => p.id)
      assert.equal(left.filter((id) => keep.includes(id)).length, 1)
      assert.equal(left.length, 3)
    }))

    test(`${RACERS} concurrent removals over five passkeys leave exactly one`, () =>
      withStores(target, async (store, all) => {
        const { user, passkeys } = await seedUser(store, 5)
        const results = await race(all, RACERS, (s, i) => s.passkeys.removeKeepingOne(user.id, passkeys[i % 5]!.id))
        assert.equal(results.filter((r) => r === 'removed').length, 4)
        assert.equal((await store.passkeys.listByUser(user.id)).length, 1)
      }))
  })
}
