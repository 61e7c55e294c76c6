import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { makePasskey, makeSession, makeUser, uid } from './fixtures.ts'
import { type ContractTarget, conflictOn, withStores } from './harness.ts'

const byIdHash = (a: { idHash: string }, b: { idHash: string }) => a.idHash.localeCompare(b.idHash)

export function sessionsContract(name: string, target: ContractTarget) {
  describe(`${name}: sessions`, () => {
    test('create and get round-trip every field', () => withStores(target, async (store) => {
      const s = makeSession(uid('user'), { kind: 'recovery', userAgent: '' })
      await store.sessions.create(s)
      assert.deepEqual(await store.sessions.get(s.idHash), s)
      assert.equal(await store.sessions.get('no-such-session'), undefined)
    }))

    test('getWithUser reads the session and its user together; a gone user is undefined', () => withStores(target, async (store) => {
      const user = makeUser()
      await store.users.createWithPasskey(user, makePasskey(user.id))
      const s = makeSession(user.id)
      await store.sessions.create(s)
      assert.deepEqual(await store.sessions.getWithUser(s.idHash), { session: s, user })
      const orphan = makeSession(uid('user'))
      await store.sessions.create(orphan)
      assert.deepEqual(await store.sessions.getWithUser(orphan.idHash), { session: orphan, user: undefined })
      assert.equal(await store.sessions.getWithUser('no-such-session'), undefined)
      await store.sessions.delete(s.idHash)
      assert.equal(await store.sessions.getWithUser(s.idHash), undefined)
    }))

    test('a taken idHash or ref is a conflict on id', () => withStores(target, async (store) => {
      const userId = uid('user')
      const s = makeSession(userId)
      await store.sessions.create(s)
      await assert.rejects(store.sessions.create(makeSession(userId, { idHash: s.idHash })), conflictOn('id'))
      const sameRef = makeSession(userId, { ref: s.ref })
      await assert.rejects(store.sessions.create(sameRef), conflictOn('id'))
      assert.equal(await store.sessions.get(sameRef.idHash), undefined)
      assert.deepEqual(await store.sessions.get(s.idHash), s)
    }))

    test('update patches only the given fields', () => withStores(target, async (store) => {
      const s = makeSession(uid('user'))
      await store.sessions.create(s)
      assert.equal(await store.sessions.update(s.idHash, { lastSeenAt: s.lastSeenAt + 10 }), true)
      assert.deepEqual(await store.sessions.get(s.idHash), { ...s, lastSeenAt: s.lastSeenAt + 10 })
      assert.equal(await store.sessions.update(s.idHash, { verifiedAt: s.verifiedAt + 20 }), true)
      assert.deepEqual(await store.sessions.get(s.idHash),
        { ...s, lastSeenAt: s.lastSeenAt + 10, verifiedAt: s.verifiedAt + 20 })
      assert.equal(await store.sessions.update(s.idHash, { lastSeenAt: s.lastSeenAt + 30, verifiedAt: s.verifiedAt + 30 }), true)
      assert.deepEqual(await store.sessions.get(s.idHash),
        { ...s, lastSeenAt: s.lastSeenAt + 30, verifiedAt: s.verifiedAt + 30 })
      // A re-verification with another passkey: the session is that passkey's now (getWithUser reads it too).
      assert.equal(await store.sessions.update(s.idHash, { verifiedAt: s.verifiedAt + 40, passkeyId: 'other-passkey' }), true)
      const expected = { ...s, lastSeenAt: s.lastSeenAt + 30, verifiedAt: s.verifiedAt + 40, passkeyId: 'other-passkey' }
      assert.deepEqual(await store.sessions.get(s.idHash), expected)
      assert.deepEqual((await store.sessions.getWithUser(s.idHash))?.session, expected)
    }))

    test('update of an unknown session is false and creates nothing', () => withStores(target, async (store) => {
      assert.equal(await store.sessions.update('no-such-session', { lastSeenAt: 1 }), false)
      assert.equal(await store.sessions.get('no-such-session'), undefined)
    }))

    test('delete removes once', () => withStores(target, async (store) => {
      const s = makeSession(uid('user'))
      await store.sessions.create(s)
      assert.equal(await store.sessions.delete(s.idHash), true)
      assert.equal(await store.sessions.get(s.idHash), undefined)
      assert.equal(await store.sessions.delete(s.idHash), false)
      assert.equal(await store.sessions.update(s.idHash, { lastSeenAt: 1 }), false)
    }))

    test('deleteByRef only deletes the owner\'s session', () => withStores(target, async (store) => {
      const owner = uid('user')
      const s = makeSession(owner)
      await store.sessions.create(s)
      assert.equal(await store.sessions.deleteByRef(uid('user'), s.ref), false)
      assert.deepEqual(await store.sessions.get(s.idHash), s)
      assert.equal(await store.sessions.deleteByRef(owner, 'no-such-ref'), false)
      assert.equal(await store.sessions.deleteByRef(owner, s.ref), true)
      assert.equal(await store.sessions.get(s.idHash), undefined)
      assert.equal(await store.sessions.deleteByRef(owner, s.ref), false)
    }))

    test('deleteAllForUser counts, honours the exception and spares other users', () =>
      withStores(target, async (store) => {
        const userId = uid('user')
        const mine = [makeSession(userId), makeSession(userId), makeSession(userId)]
        const other = makeSession(uid('user'))
        for (const s of [...mine, other]) await store.sessions.create(s)
        assert.equal(await store.sessions.deleteAllForUser(userId, mine[1]!.idHash), 2)
        assert.deepEqual(await store.sessions.listByUser(userId), [mine[1]])
        assert.equal(await store.sessions.deleteAllForUser(userId), 1)
        assert.deepEqual(await store.sessions.listByUser(userId), [])
        assert.equal(await store.sessions.deleteAllForUser(userId), 0)
        assert.deepEqual(await store.sessions.get(other.idHash), other)
      }))

    test('deleteAllForUser with another user\'s idHash as the exception deletes all', () =>
      withStores(target, async (store) => {
        const userId = uid('user')
        const other = makeSession(uid('user'))
        await store.sessions.create(other)
        await store.sessions.create(makeSession(userId))
        await store.sessions.create(makeSession(userId))
        assert.equal(await store.sessions.deleteAllForUser(userId, other.idHash), 2)
        assert.deepEqual(await store.sessions.get(other.idHash), other)
      }))

    test('listByUser returns only that user\'s sessions', () => withStores(target, async (store) => {
      const userId = uid('user')
      const mine = [makeSession(userId), makeSession(userId, { kind: 'recovery' })]
      for (const s of [...mine, makeSession(uid('user'))]) await store.sessions.create(s)
      assert.deepEqual((await store.sessions.listByUser(userId)).sort(byIdHash), [...mine].sort(byIdHash))
      assert.deepEqual(await store.sessions.listByUser('no-such-user'), [])
    }))
  })
}
