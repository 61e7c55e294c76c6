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

    test(`${RACERS} concurrent removals over five passkeys leave exactly one`, () =>
      withStores(target, async (store, all) => {
        const { user, passkeys } = await seedUser(store, 5)
        const results = await race(all, RACERS, (s, i) => s.passkeys.removeKeepingOne(user.id, passkeys[i % 5]!.id))
        assert.equal(results.filter((r) => r === 'removed').length, 4)
        assert.equal((await store.passkeys.listByUser(user.id)).length, 1)
      }))
  })
}
