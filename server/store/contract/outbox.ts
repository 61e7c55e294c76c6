import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { OutboxEvent, Store } from '../ports.ts'
import { makeApiClient, makePasskey, makeSession, makeUser, uid } from './fixtures.ts'
import { type ContractTarget, race, RACERS, withStores } from './harness.ts'

function event(type: string, subject = 'x'): OutboxEvent {
  return { id: uid('evt'), type, at: Date.now(), subject, data: { n: 1 } }
}

/** Drains everything pending, in as many rounds as it takes. */
async function drainAll(store: Store): Promise<OutboxEvent[]> {
  const seen: OutboxEvent[] = []
  while (await store.outbox.drain(async (events) => { seen.push(...events) }, 100) > 0);
  return seen
}

export function outboxContract(name: string, target: ContractTarget) {
  describe(`${name}: outbox`, () => {
    test('each change method writes its events, and only when the change happened', () => withStores(target, async (store) => {
      const user = makeUser()
      const first = makePasskey(user.id)
      const second = makePasskey(user.id)
      const session = makeSession(user.id)
      const client = makeApiClient()
      await store.users.createWithPasskey(user, first, [event('account.created', user.id)])
      await store.users.setRoles(user.id, ['auditor'], [event('user.roles_changed')])
      assert.equal(await store.users.setRoles('nobody', ['auditor'], [event('never.roles')]), false)
      await store.passkeys.add(second, [event('passkey.added')])
      await store.passkeys.rename(user.id, second.id, 'Work key', [event('passkey.renamed')])
      assert.equal(await store.passkeys.rename(user.id, 'missing', 'x', [event('never.renamed')]), false)
      assert.equal(await store.passkeys.removeKeepingOne(user.id, second.id, [event('passkey.removed')]), 'removed')
      assert.equal(await store.passkeys.removeKeepingOne(user.id, first.id, [event('never.removed')]), 'last_passkey')
      await store.sessions.create(session, [event('login')])
      assert.equal(await store.sessions.deleteByRef(user.id, 'no-such-ref', [event('never.session')]), false)
      assert.equal(await store.sessions.deleteByRef(user.id, session.ref, [event('session.revoked')]), true)
      await store.sessions.deleteAllForUser(user.id, undefined, [event('sessions.revoked_all')])
      await store.recovery.replace(user.id, { salt: 's', hashes: ['h1'], createdAt: Date.now() }, [event('recovery.codes_generated')])
      assert.equal(await store.recovery.consume(user.id, 'h1', Date.now(), [event('recovery.used')]), true)
      assert.equal(await store.recovery.consume(user.id, 'h1', Date.now(), [event('never.used')]), false)
      await store.apiClients.create(client, [event('client.created')])
      assert.equal(await store.apiClients.revoke(client.id, Date.now(), [event('client.revoked')]), true)
      assert.equal(await store.apiClients.revoke(client.id, Date.now(), [event('never.revoked')]), false)
      await store.outbox.publish([event('passkey.clone_suspected')])
      const types = (await drainAll(store)).map((e) => e.type).sort()
      assert.deepEqual(types, ['account.created', 'client.created', 'client.revoked', 'login', 'passkey.added',
        'passkey.clone_suspected', 'passkey.removed', 'passkey.renamed', 'recovery.codes_generated', 'recovery.used',
        'session.revoked', 'sessions.revoked_all', 'user.roles_changed'])
      assert.equal(await store.outbox.pending(), 0)
    }))

    test('a failed change writes no event', () => withStores(target, async (store) => {
      const user = makeUser()
      await store.users.createWithPasskey(user, makePasskey(user.id))
      await assert.rejects(store.users.createWithPasskey(makeUser({ handle: user.handle }), makePasskey(uid('u')),
        [event('never.created')]))
      assert.deepEqual(await drainAll(store), [])
    }))

    test('events keep their fields, and one account\'s events keep their order', () => withStores(target, async (store) => {
      const user = makeUser()
      const e1 = { ...event('account.created', user.id), data: { aaguid: 'abc', nested: { ok: true } } }
      await store.users.createWithPasskey(user, makePasskey(user.id), [e1])
      const later = Array.from({ length: 5 }, (_, i) => ({ ...event('login', user.id), data: { i } }))
      for (const e of later) await store.sessions.create(makeSession(user.id), [e])
      const seen = await drainAll(store)
      assert.deepEqual(seen[0], e1)
      assert.deepEqual(seen.slice(1).map((e) => e.data.i), [0, 1, 2, 3, 4])
    }))

    test('a drain whose handler fails hands the events on again', () => withStores(target, async (store) => {
      await store.outbox.publish([event('a'), event('b')])
      await assert.rejects(store.outbox.drain(async () => { throw new Error('receiver down') }, 10))
      assert.deepEqual((await drainAll(store)).map((e) => e.type), ['a', 'b'])
    }))

    test('concurrent drains hand every event on, none lost', () => withStores(target, async (store, all) => {
      const written = await race(all, RACERS, async (s, i) => {
        const user = makeUser()
        const e = event('account.created', user.id)
        await s.users.createWithPasskey(user, makePasskey(user.id), [e])
        return e.id
      })
      const seen = new Set<string>()
      await race(all, 4, async (s) => {
        while (await s.outbox.drain(async (events) => { for (const e of events) seen.add(e.id) }, 7) > 0);
      })
      for (const s of all) await drainAll(s).then((es) => es.forEach((e) => seen.add(e.id)))
      assert.deepEqual([...seen].sort(), [...written].sort())
    }))
  })
}
