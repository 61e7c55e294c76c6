import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { makePasskey, makeUser } from './fixtures.ts'
import { type ContractTarget, conflictOn, race, RACERS, settle, withStores } from './harness.ts'

export function usersContract(name: string, target: ContractTarget) {
  describe(`${name}: users`, () => {
    test('createWithPasskey stores both records', () => withStores(target, async (store) => {
      const user = makeUser({ roles: ['admin', 'approver'] })
      const passkey = makePasskey(user.id)
      await store.users.createWithPasskey(user, passkey)
      assert.deepEqual(await store.users.get(user.id), user)
      assert.deepEqual(await store.users.getByHandle(user.handle), user)
      assert.deepEqual(await store.passkeys.get(passkey.id), passkey)
      assert.deepEqual(await store.passkeys.listByUser(user.id), [passkey])
    }))

    test('unknown id or handle is undefined', () => withStores(target, async (store) => {
      assert.equal(await store.users.get('no-such-user'), undefined)
      assert.equal(await store.users.getByHandle('no-such-handle'), undefined)
    }))

    test('empty roles round-trip as an empty array', () => withStores(target, async (store) => {
      const user = makeUser({ roles: [] })
      await store.users.createWithPasskey(user, makePasskey(user.id))
      assert.deepEqual((await store.users.get(user.id))?.roles, [])
    }))

    test('a taken handle is a conflict on handle, and nothing is written', () => withStores(target, async (store) => {
      const first = makeUser()
      await store.users.createWithPasskey(first, makePasskey(first.id))
      const second = makeUser({ handle: first.handle })
      const passkey = makePasskey(second.id)
      await assert.rejects(store.users.createWithPasskey(second, passkey), conflictOn('handle'))
      assert.equal(await store.users.get(second.id), undefined)
      assert.equal(await store.passkeys.get(passkey.id), undefined)
      assert.deepEqual(await store.users.getByHandle(first.handle), first)
    }))

    test('a taken credential id is a conflict on credential, and no user is created', () =>
      withStores(target, async (store) => {
        const first = makeUser()
        const taken = makePasskey(first.id)
        await store.users.createWithPasskey(first, taken)
        const second = makeUser()
        await assert.rejects(store.users.createWithPasskey(second, makePasskey(second.id, { id: taken.id })),
          conflictOn('credential'))
        assert.equal(await store.users.get(second.id), undefined)
        assert.equal(await store.users.getByHandle(second.handle), undefined)
        assert.deepEqual(await store.passkeys.get(taken.id), taken)
      }))

    test('a taken user id is a conflict on id', () => withStores(target, async (store) => {
      const first = makeUser()
      await store.users.createWithPasskey(first, makePasskey(first.id))
      const again = makeUser({ id: first.id })
      await assert.rejects(store.users.createWithPasskey(again, makePasskey(first.id)), conflictOn('id'))
      assert.deepEqual(await store.users.get(first.id), first)
      assert.equal(await store.users.getByHandle(again.handle), undefined)
    }))

    test('setRoles replaces the roles; unknown user is false', () => withStores(target, async (store) => {
      const user = makeUser({ roles: ['approver'] })
      await store.users.createWithPasskey(user, makePasskey(user.id))
      assert.equal(await store.users.setRoles(user.id, ['admin', 'auditor']), true)
      assert.deepEqual(await store.users.get(user.id), { ...user, roles: ['admin', 'auditor'] })
      assert.equal(await store.users.setRoles(user.id, []), true)
      assert.deepEqual((await store.users.getByHandle(user.handle))?.roles, [])
      assert.equal(await store.users.setRoles('no-such-user', ['admin']), false)
      assert.equal(await store.users.get('no-such-user'), undefined)
    }))

    test(`${RACERS} concurrent sign-ups for one handle: exactly one succeeds`, () =>
      withStores(target, async (store, all) => {
        const handle = makeUser().handle
        const users = Array.from({ length: RACERS }, () => makeUser({ handle }))
        const results = await race(all, RACERS, (s, i) =>
          settle(s.users.createWithPasskey(users[i]!, makePasskey(users[i]!.id))))
        const winners = results.map((r, i) => (r instanceof Error ? -1 : i)).filter((i) => i >= 0)
        assert.equal(winners.length, 1)
        for (const r of results) if (r instanceof Error) conflictOn('handle')(r)
        assert.deepEqual(await store.users.getByHandle(handle), users[winners[0]!])
      }))
  })
}
