import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { makePasskey, seedUser } from './fixtures.ts'
import { type ContractTarget, conflictOn, race, RACERS, withStores } from './harness.ts'

export function passkeysContract(name: string, target: ContractTarget) {
  describe(`${name}: passkeys`, () => {
    test('add and get round-trip every field', () => withStores(target, async (store) => {
      const { user } = await seedUser(store)
      const p = makePasskey(user.id, { transports: [], backedUp: false, deviceType: 'singleDevice', counter: 7,
        lastUsedAt: null, attestationFmt: 'packed' })
      await store.passkeys.add(p)
      const got = await store.passkeys.get(p.id)
      assert.deepEqual(got, p)
      assert.equal(Object.getPrototypeOf(got?.publicKey), Uint8Array.prototype, 'a plain Uint8Array, not a Buffer')
      assert.equal(got?.backedUp, false)
      assert.equal(got?.lastUsedAt, null)
    }))

    test('a publicKey that views part of a larger buffer stores only its bytes', () =>
      withStores(target, async (store) => {
        const { user } = await seedUser(store)
        const whole = new Uint8Array([9, 9, 1, 2, 3, 4, 9, 9])
        const p = makePasskey(user.id, { publicKey: whole.subarray(2, 6) })
        await store.passkeys.add(p)
        assert.deepEqual((await store.passkeys.get(p.id))?.publicKey, new Uint8Array([1, 2, 3, 4]))
      }))

    test('getWithOwner reads the passkey with its account; a removed passkey is gone from it too', () =>
      withStores(target, async (store) => {
        const { user, passkeys } = await seedUser(store)
        const second = makePasskey(user.id)
        await store.passkeys.add(second)
        assert.deepEqual(await store.passkeys.getWithOwner(second.id), { passkey: second, user })
        // Twice: the Redis adapter remembers the owner after the first read and reads both at once.
        assert.deepEqual(await store.passkeys.getWithOwner(second.id), { passkey: second, user })
        assert.equal(await store.passkeys.removeKeepingOne(user.id, second.id), 'removed')
        assert.equal(await store.passkeys.getWithOwner(second.id), undefined)
        assert.deepEqual((await store.passkeys.getWithOwner(passkeys[0]!.id))?.user, user)
        assert.equal(await store.passkeys.getWithOwner('no-such-credential'), undefined)
      }))

    test('unknown id is undefined; unknown user lists nothing', () => withStores(target, async (store) => {
      assert.equal(await store.passkeys.get('no-such-credential'), undefined)
      assert.deepEqual(await store.passkeys.listByUser('no-such-user'), [])
    }))

    test('a taken credential id is a conflict on credential, even for another user', () =>
      withStores(target, async (store) => {
        const a = await seedUser(store)
        const b = await seedUser(store)
        const taken = a.passkeys[0]!
        await assert.rejects(store.passkeys.add(makePasskey(b.user.id, { id: taken.id })), conflictOn('credential'))
        assert.deepEqual(await store.passkeys.get(taken.id), taken)
        assert.equal((await store.passkeys.listByUser(b.user.id)).length, 1)
      }))

    test('listByUser returns only that user\'s passkeys', () => withStores(target, async (store) => {
      const a = await seedUser(store, 3)
      await seedUser(store, 2)
      const byId = (x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id)
      assert.deepEqual((await store.passkeys.listByUser(a.user.id)).sort(byId), [...a.passkeys].sort(byId))
    }))

    test('recordUse moves the counter only from the expected value', () => withStores(target, async (store) => {
      const { passkeys: [p] } = await seedUser(store)
      const use = { expectedCounter: 0, counter: 5, backedUp: false, lastUsedAt: Date.now() }
      assert.equal(await store.passkeys.recordUse(p!.id, use), true)
      assert.deepEqual(await store.passkeys.get(p!.id),
        { ...p, counter: 5, backedUp: false, lastUsedAt: use.lastUsedAt })
      assert.equal(await store.passkeys.recordUse(p!.id, { ...use, counter: 6, lastUsedAt: use.lastUsedAt + 1 }), false)
      assert.equal((await store.passkeys.get(p!.id))?.counter, 5)
      assert.equal((await store.passkeys.get(p!.id))?.lastUsedAt, use.lastUsedAt)
      assert.equal(await store.passkeys.recordUse('no-such-credential', use), false)
    }))

    test('recordUse with an unchanged zero counter still records the use', () => withStores(target, async (store) => {
      const { passkeys: [p] } = await seedUser(store)
      const at = Date.now()
      assert.equal(await store.passkeys.recordUse(p!.id, { expectedCounter: 0, counter: 0, backedUp: true, lastUsedAt: at }), true)
      assert.equal((await store.passkeys.get(p!.id))?.lastUsedAt, at)
    }))

    test(`${RACERS} concurrent recordUse from one counter: exactly one wins`, () =>
      withStores(target, async (store, all) => {
        const { passkeys: [p] } = await seedUser(store)
        const results = await race(all, RACERS, (s, i) =>
          s.passkeys.recordUse(p!.id, { expectedCounter: 0, counter: 10 + i, backedUp: true, lastUsedAt: 1000 + i }))
        assert.equal(results.filter(Boolean).length, 1)
        const winner = results.indexOf(true)
        const stored = await store.passkeys.get(p!.id)
        assert.equal(stored?.counter, 10 + winner)
        assert.equal(stored?.lastUsedAt, 1000 + winner)
      }))

    test('rename changes only the owner\'s passkey', () => withStores(target, async (store) => {
      const a = await seedUser(store)
      const b = await seedUser(store)
      const p = a.passkeys[0]!
      assert.equal(await store.passkeys.rename(a.user.id, p.id, 'YubiKey 5C'), true)
      assert.deepEqual(await store.passkeys.get(p.id), { ...p, name: 'YubiKey 5C' })
      assert.equal(await store.passkeys.rename(b.user.id, p.id, 'stolen'), false)
      assert.equal((await store.passkeys.get(p.id))?.name, 'YubiKey 5C')
      assert.equal(await store.passkeys.rename(a.user.id, 'no-such-credential', 'x'), false)
    }))
  })
}
