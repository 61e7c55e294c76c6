import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { uid } from './fixtures.ts'
import { type ContractTarget, race, RACERS, withStores } from './harness.ts'

const WINDOW = 60_000

/** The start of the window after the current one, so every hit of a test lands in one known window. */
function nextWindow(): number {
  return (Math.floor(Date.now() / WINDOW) + 1) * WINDOW
}

export function rateLimitsContract(name: string, target: ContractTarget) {
  describe(`${name}: rate limits`, () => {
    test('hits in one window count up and share its reset time', () => withStores(target, async (store) => {
      const key = uid('ip')
      const start = nextWindow()
      assert.deepEqual(await store.rateLimits.hit(key, WINDOW, start), { count: 1, resetAt: start + WINDOW })
      assert.deepEqual(await store.rateLimits.hit(key, WINDOW, start + 123), { count: 2, resetAt: start + WINDOW })
      assert.deepEqual(await store.rateLimits.hit(key, WINDOW, start + WINDOW - 1), { count: 3, resetAt: start + WINDOW })
    }))

    test('the next window starts again at one', () => withStores(target, async (store) => {
      const key = uid('ip')
      const start = nextWindow()
      await store.rateLimits.hit(key, WINDOW, start)
      await store.rateLimits.hit(key, WINDOW, start + 1)
      assert.deepEqual(await store.rateLimits.hit(key, WINDOW, start + WINDOW),
        { count: 1, resetAt: start + 2 * WINDOW })
    }))

    test('keys are counted separately', () => withStores(target, async (store) => {
      const start = nextWindow()
      const a = uid('ip')
      const b = uid('ip')
      await store.rateLimits.hit(a, WINDOW, start)
      await store.rateLimits.hit(a, WINDOW, start)
      assert.equal((await store.rateLimits.hit(b, WINDOW, start)).count, 1)
      assert.equal((await store.rateLimits.hit(a, WINDOW, start)).count, 3)
    }))

    test('a window is aligned to multiples of its length', () => withStores(target, async (store) => {
      const start = nextWindow()
      assert.deepEqual(await store.rateLimits.hit(uid('ip'), 1000, start + 1500), { count: 1, resetAt: start + 2000 })
    }))

    test(`${RACERS} concurrent hits get the counts 1..${RACERS} once each`, () => withStores(target, async (_store, all) => {
      const key = uid('ip')
      const start = nextWindow()
      const hits = await race(all, RACERS, (s, i) => s.rateLimits.hit(key, WINDOW, start + i))
      assert.deepEqual(hits.map((h) => h.count).sort((x, y) => x - y), Array.from({ length: RACERS }, (_, i) => i + 1))
      for (const h of hits) assert.equal(h.resetAt, start + WINDOW)
    }))
  })
}
