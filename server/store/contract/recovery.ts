import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import type { RecoveryCodeSet } from '../ports.ts'
import { uid } from './fixtures.ts'
import { type ContractTarget, race, RACERS, withStores } from './harness.ts'

function makeSet(count = 10): RecoveryCodeSet {
  const b64 = (n: number) => randomBytes(n).toString('base64url')
  return { salt: b64(16), hashes: Array.from({ length: count }, () => b64(32)), createdAt: Date.now() }
}

export function recoveryContract(name: string, target: ContractTarget) {
  describe(`${name}: recovery codes`, () => {
    test('replace stores the salt and the codes', () => withStores(target, async (store) => {
      const userId = uid('user')
      const set = makeSet()
      await store.recovery.replace(userId, set)
      assert.equal(await store.recovery.getSalt(userId), set.salt)
      assert.equal(await store.recovery.remaining(userId), 10)
    }))

    test('an unknown user has no salt and no codes', () => withStores(target, async (store) => {
      assert.equal(await store.recovery.getSalt('no-such-user'), undefined)
      assert.equal(await store.recovery.remaining('no-such-user'), 0)
      assert.equal(await store.recovery.consume('no-such-user', 'x', Date.now()), false)
    }))

    test('a code is consumed once', () => withStores(target, async (store) => {
      const userId = uid('user')
      const set = makeSet(3)
      await store.recovery.replace(userId, set)
      assert.equal(await store.recovery.consume(userId, set.hashes[1]!, Date.now()), true)
      assert.equal(await store.recovery.remaining(userId), 2)
      assert.equal(await store.recovery.consume(userId, set.hashes[1]!, Date.now()), false)
      assert.equal(await store.recovery.remaining(userId), 2)
      assert.equal(await store.recovery.consume(userId, 'not-a-code', Date.now()), false)
    }))

    test('another user\'s code does not work', () => withStores(target, async (store) => {
      const alice = uid('user')
      const bob = uid('user')
      const set = makeSet(2)
      await store.recovery.replace(alice, set)
      await store.recovery.replace(bob, makeSet(2))
      assert.equal(await store.recovery.consume(bob, set.hashes[0]!, Date.now()), false)
      assert.equal(await store.recovery.remaining(alice), 2)
      assert.equal(await store.recovery.remaining(bob), 2)
    }))

    test('replace invalidates every old code, used or not', () => withStores(target, async (store) => {
      const userId = uid('user')
      const old = makeSet(3)
      await store.recovery.replace(userId, old)
      await store.recovery.consume(userId, old.hashes[0]!, Date.now())
      const fresh = makeSet(5)
      await store.recovery.replace(userId, fresh)
      assert.equal(await store.recovery.getSalt(userId), fresh.salt)
      assert.equal(await store.recovery.remaining(userId), 5)
      for (const h of old.hashes) assert.equal(await store.recovery.consume(userId, h, Date.now()), false)
      assert.equal(await store.recovery.consume(userId, fresh.hashes[4]!, Date.now()), true)
    }))

    test('replace with no codes keeps a salt and leaves none', () => withStores(target, async (store) => {
      const userId = uid('user')
      await store.recovery.replace(userId, makeSet(4))
      const empty = makeSet(0)
      await store.recovery.replace(userId, empty)
      assert.equal(await store.recovery.getSalt(userId), empty.salt)
      assert.equal(await store.recovery.remaining(userId), 0)
    }))

    test(`${RACERS} concurrent uses of one code: exactly one succeeds`, () => withStores(target, async (store, all) => {
      const userId = uid('user')
      const set = makeSet(2)
      await store.recovery.replace(userId, set)
      const results = await race(all, RACERS, (s) => s.recovery.consume(userId, set.hashes[0]!, Date.now()))
      assert.equal(results.filter(Boolean).length, 1)
      assert.equal(await store.recovery.remaining(userId), 1)
    }))
  })
}
