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

    test('a put with events writes the ceremony and its events together; a refused put writes neither', () => withStores(target, async (store) => {
      const c = makeCeremony({ kind: 'presentation-result', data: { status: 'verified' } })
      const event = { id: uid('evt'), type: 'presentation.verified', at: 1, subject: c.challenge, data: { app: 'app-1' } }
      await store.challenges.put(c, [event])
      await assert.rejects(store.challenges.put(c, [{ ...event, id: uid('evt') }]), conflictOn('id'))
      const drained: unknown[] = []
      while (await store.outbox.drain(async (events) => { drained.push(...events) }, 100) > 0);
      assert.deepEqual(drained, [event])
      assert.deepEqual(await store.challenges.consume(c.challenge), c)
    }))

    test('putCounted stores while the count is within the limit, then counts and stores nothing; a new window opens', () =>
      withStores(target, async (store) => {
        const key = uid('ip')
        // The real clock: the SQLite store sweeps long-expired windows by its own clock.
        const now = Date.now()
        const windowMs = 60_000
        const made = Array.from({ length: 4 }, () => makeCeremony())
        const hits = []
        for (const c of made) hits.push(await store.challenges.putCounted(c, { key, windowMs, now, max: 2 }))
        assert.deepEqual(hits.map((h) => h.count), [1, 2, 3, 4])
        const resetAt = Math.floor(now / windowMs) * windowMs + windowMs
        assert.ok(hits.every((h) => h.resetAt === resetAt))
        assert.deepEqual(await store.challenges.consume(made[0]!.challenge), made[0])
        assert.deepEqual(await store.challenges.consume(made[1]!.challenge), made[1])
        assert.equal(await store.challenges.consume(made[2]!.challenge), undefined, 'refused: not stored')
        assert.equal(await store.challenges.consume(made[3]!.challenge), undefined, 'refused: not stored')
        // The same counter as rateLimits.hit.
        assert.equal((await store.rateLimits.hit(key, windowMs, now)).count, 5)
        const later = makeCeremony()
        assert.equal((await store.challenges.putCounted(later, { key, windowMs, now: resetAt, max: 2 })).count, 1)
        assert.deepEqual(await store.challenges.consume(later.challenge), later)
      }))

    test(`${RACERS} concurrent putCounted with room for 5: exactly 5 stored`, () => withStores(target, async (store, all) => {
      const key = uid('ip')
      const now = Date.now() // one window for every caller
      const made: ReturnType<typeof makeCeremony>[] = []
      const hits = await race(all, RACERS, (s) => {
        const c = makeCeremony()
        made.push(c)
        return s.challenges.putCounted(c, { key, windowMs: 60_000, now, max: 5 })
      })
      assert.deepEqual(hits.map((h) => h.count).sort((a, b) => a - b), Array.from({ length: RACERS }, (_, i) => i + 1))
      const stored = (await Promise.all(made.map((c) => store.challenges.consume(c.challenge)))).filter(Boolean)
      assert.equal(stored.length, 5)
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
