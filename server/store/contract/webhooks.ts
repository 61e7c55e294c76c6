import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Store, WebhookDelivery, WebhookSubscription } from '../ports.ts'
import { uid } from './fixtures.ts'
import { type ContractTarget, race, RACERS, withStores } from './harness.ts'

function makeSub(over: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return { id: uid('wh'), url: 'https://hooks.example.com/sigil', description: 'ops', eventTypes: ['*'],
    secret: 'whsec_c2VjcmV0', createdAt: Date.now(), disabledAt: null, ...over }
}

function makeDelivery(subscriptionId: string, over: Partial<WebhookDelivery> = {}): WebhookDelivery {
  const t = Date.now()
  return { id: uid('dlv'), subscriptionId, event: { id: uid('evt'), type: 'login', at: t, subject: uid('usr'), data: {} },
    state: 'pending', attempts: 0, nextAttemptAt: t, lastAttemptAt: null, lastStatus: null, lastError: null,
    createdAt: t, ...over }
}

async function withSub(store: Store, over: Partial<WebhookSubscription> = {}) {
  const sub = makeSub(over)
  await store.webhooks.createSubscription(sub)
  return sub
}

export function webhooksContract(name: string, target: ContractTarget) {
  describe(`${name}: webhooks`, () => {
    test('subscriptions are created, listed, updated and deleted', () => withStores(target, async (store) => {
      const a = await withSub(store, { createdAt: 1000 })
      const b = await withSub(store, { createdAt: 2000, eventTypes: ['login', 'account.created'] })
      assert.deepEqual(await store.webhooks.getSubscription(b.id), b)
      assert.deepEqual((await store.webhooks.listSubscriptions()).map((s) => s.id), [a.id, b.id])
      const updated = await store.webhooks.updateSubscription(a.id, { disabledAt: 5000, eventTypes: ['login'] })
      assert.deepEqual(updated, { ...a, disabledAt: 5000, eventTypes: ['login'] })
      assert.deepEqual(await store.webhooks.updateSubscription(a.id, { disabledAt: null }), { ...a, eventTypes: ['login'] })
      assert.equal(await store.webhooks.updateSubscription('nope', { url: 'https://x' }), undefined)
      assert.equal(await store.webhooks.deleteSubscription(a.id), true)
      assert.equal(await store.webhooks.deleteSubscription(a.id), false)
      assert.deepEqual((await store.webhooks.listSubscriptions()).map((s) => s.id), [b.id])
    }))

    test('enqueue ignores a known delivery id and a deleted subscription', () => withStores(target, async (store) => {
      const sub = await withSub(store)
      const d = makeDelivery(sub.id)
      await store.webhooks.enqueue([d])
      await store.webhooks.enqueue([{ ...d, attempts: 9 }, makeDelivery('no-such-sub')])
      assert.deepEqual(await store.webhooks.getDelivery(d.id), d)
      assert.equal((await store.webhooks.listDeliveries({ limit: 10 })).length, 1)
    }))

    test('a claim leases due deliveries; only the lease holder settles', () => withStores(target, async (store) => {
      const sub = await withSub(store)
      const now = Date.now()
      const due = makeDelivery(sub.id, { nextAttemptAt: now - 1 })
      const later = makeDelivery(sub.id, { nextAttemptAt: now + 60_000 })
      await store.webhooks.enqueue([due, later])
      const claimed = await store.webhooks.claimDue(now, 30_000, 10)
      assert.deepEqual(claimed.map((d) => d.id), [due.id])
      assert.equal(claimed[0]!.nextAttemptAt, now + 30_000)
      assert.deepEqual(await store.webhooks.claimDue(now + 1000, 30_000, 10), [], 'leased: not due again')
      const outcome = { state: 'delivered' as const, attempts: 1, nextAttemptAt: now + 30_000, lastAttemptAt: now + 5,
        lastStatus: 204, lastError: null }
      assert.equal(await store.webhooks.settle(due.id, now + 12345, outcome), false, 'wrong lease')
      assert.equal(await store.webhooks.settle(due.id, now + 30_000, outcome), true)
      assert.equal(await store.webhooks.settle(due.id, now + 30_000, outcome), false, 'settled already')
      const got = await store.webhooks.getDelivery(due.id)
      assert.equal(got?.state, 'delivered')
      assert.equal(got?.lastStatus, 204)
    }))

    test('a lapsed lease makes the delivery due again, and the old holder can no longer settle', () => withStores(target, async (store) => {
      const sub = await withSub(store)
      const now = Date.now()
      const d = makeDelivery(sub.id, { nextAttemptAt: now })
      await store.webhooks.enqueue([d])
      await store.webhooks.claimDue(now, 1000, 10)
      const again = await store.webhooks.claimDue(now + 1001, 1000, 10)
      assert.deepEqual(again.map((x) => x.id), [d.id])
      const outcome = { state: 'delivered' as const, attempts: 1, nextAttemptAt: 0, lastAttemptAt: now, lastStatus: 200, lastError: null }
      assert.equal(await store.webhooks.settle(d.id, now + 1000, outcome), false)
      assert.equal(await store.webhooks.settle(d.id, now + 2001, outcome), true)
    }))

    test('concurrent claims hand each delivery to exactly one caller', () => withStores(target, async (store, all) => {
      const sub = await withSub(store)
      const now = Date.now()
      const ds = Array.from({ length: 30 }, () => makeDelivery(sub.id, { nextAttemptAt: now }))
      await store.webhooks.enqueue(ds)
      const got = (await race(all, RACERS, (s) => s.webhooks.claimDue(now, 60_000, 3))).flat().map((d) => d.id)
      assert.equal(got.length, 30)
      assert.equal(new Set(got).size, 30)
    }))

    test('claims go in enqueue order, one delivery per subscription and subject at a time', () => withStores(target, async (store) => {
      const sub = await withSub(store)
      const now = Date.now()
      const event = (subject: string) => ({ id: uid('evt'), type: 'login', at: now, subject, data: {} })
      // One drain's deliveries share a due time; the claim must not break that tie by delivery id (random).
      const a = Array.from({ length: 6 }, () => makeDelivery(sub.id, { nextAttemptAt: now, event: event('usr_a') }))
      const others = Array.from({ length: 12 }, (_, i) => makeDelivery(sub.id, { nextAttemptAt: now, event: event(`usr_${i}`) }))
      await store.webhooks.enqueue([a[0]!, ...others.slice(0, 6), a[1]!, ...others.slice(6), ...a.slice(2)])
      const first = await store.webhooks.claimDue(now, 30_000, 50)
      assert.deepEqual(first.map((d) => d.id), [a[0]!, ...others].map((d) => d.id), 'enqueue order; usr_a only once')
      assert.deepEqual(await store.webhooks.claimDue(now, 30_000, 50), [], 'usr_a has a delivery in flight')
      const ok = { state: 'delivered' as const, attempts: 1, nextAttemptAt: now, lastAttemptAt: now, lastStatus: 204, lastError: null }
      assert.equal(await store.webhooks.settle(a[0]!.id, now + 30_000, ok), true)
      assert.deepEqual((await store.webhooks.claimDue(now, 30_000, 50)).map((d) => d.id), [a[1]!.id], 'the next one, once the first has ended')
      // A failed attempt waits for its retry; the entity's later events go meanwhile (README: a retry comes after them).
      assert.equal(await store.webhooks.settle(a[1]!.id, now + 30_000, { state: 'pending', attempts: 1, nextAttemptAt: now + 5000,
        lastAttemptAt: now, lastStatus: 500, lastError: 'HTTP 500' }), true)
      assert.deepEqual((await store.webhooks.claimDue(now, 1000, 50)).map((d) => d.id), [a[2]!.id])
      // A lapsed lease (its holder died) frees the entity. The lapsed delivery is due again from the lease's end, so
      // like any retry it comes after the entity's later events that were due before.
      const ofA = (ds: WebhookDelivery[]) => ds.map((d) => d.id).filter((id) => a.some((x) => x.id === id))
      assert.deepEqual(ofA(await store.webhooks.claimDue(now + 999, 1000, 50)), [], 'leased until now + 1000')
      assert.deepEqual(ofA(await store.webhooks.claimDue(now + 1000, 1000, 50)), [a[3]!.id])
    }))

    test('a subscription with perSubscription deliveries leased gets no more until one is settled', () => withStores(target, async (store) => {
      const slow = await withSub(store, { createdAt: 1 })
      const fast = await withSub(store, { createdAt: 2 })
      const now = Date.now()
      const s = Array.from({ length: 5 }, () => makeDelivery(slow.id, { nextAttemptAt: now }))
      const f = Array.from({ length: 5 }, () => makeDelivery(fast.id, { nextAttemptAt: now }))
      await store.webhooks.enqueue([...s, ...f])
      const got = await store.webhooks.claimDue(now, 30_000, 6, { perSubscription: 3 })
      assert.deepEqual(got.map((d) => d.id), [...s.slice(0, 3), ...f.slice(0, 3)].map((d) => d.id))
      assert.deepEqual((await store.webhooks.claimDue(now, 30_000, 10, { perSubscription: 3 })).map((d) => d.id), [],
        'both at their cap')
      assert.equal(await store.webhooks.settle(s[0]!.id, now + 30_000, { state: 'delivered', attempts: 1, nextAttemptAt: now,
        lastAttemptAt: now, lastStatus: 204, lastError: null }), true)
      assert.deepEqual((await store.webhooks.claimDue(now, 30_000, 10, { perSubscription: 3 })).map((d) => d.id), [s[3]!.id])
      assert.deepEqual((await store.webhooks.claimDue(now, 30_000, 10)).map((d) => d.id), [s[4]!, ...f.slice(3)].map((d) => d.id),
        'no cap asked for')
    }))

    test('failures are rescheduled; dead deliveries are listed and replayed', () => withStores(target, async (store) => {
      const sub = await withSub(store)
      const other = await withSub(store)
      const now = Date.now()
      const d = makeDelivery(sub.id, { nextAttemptAt: now })
      const e = makeDelivery(other.id, { nextAttemptAt: now })
      await store.webhooks.enqueue([d, e])
      for (const c of await store.webhooks.claimDue(now, 1000, 10)) {
        assert.equal(await store.webhooks.settle(c.id, now + 1000, { state: 'pending', attempts: 1,
          nextAttemptAt: now + 5000, lastAttemptAt: now, lastStatus: 500, lastError: 'HTTP 500' }), true)
      }
      assert.deepEqual(await store.webhooks.claimDue(now + 4999, 1000, 10), [])
      for (const c of await store.webhooks.claimDue(now + 5000, 1000, 10)) {
        await store.webhooks.settle(c.id, now + 6000, { state: 'dead', attempts: 2, nextAttemptAt: now + 6000,
          lastAttemptAt: now + 5000, lastStatus: null, lastError: 'timeout' })
      }
      const dead = await store.webhooks.listDeliveries({ state: 'dead', limit: 10 })
      assert.deepEqual(dead.map((x) => x.id).sort(), [d.id, e.id].sort())
      assert.equal(dead.find((x) => x.id === d.id)?.lastError, 'timeout')
      assert.deepEqual((await store.webhooks.listDeliveries({ subscriptionId: sub.id, limit: 10 })).map((x) => x.id), [d.id])
      assert.deepEqual(await store.webhooks.claimDue(now + 10_000, 1000, 10), [], 'dead is never due')
      assert.equal(await store.webhooks.replay({ subscriptionId: sub.id }, now + 10_000), 1)
      assert.equal(await store.webhooks.replay({ subscriptionId: sub.id }, now + 10_000), 0)
      const replayed = await store.webhooks.claimDue(now + 10_000, 1000, 10)
      assert.deepEqual(replayed.map((x) => [x.id, x.attempts]), [[d.id, 0]])
      assert.equal(await store.webhooks.replay({ deliveryId: e.id }, now), 1)
      assert.equal((await store.webhooks.getDelivery(e.id))?.state, 'pending')
    }))

    test('a filtered delivery list finds older matches behind many newer ones', () => withStores(target, async (store) => {
      const sub = await withSub(store)
      const t = Date.now()
      // Five old deliveries still retrying, then a hundred newer ones delivered.
      const old = Array.from({ length: 5 }, (_, i) => makeDelivery(sub.id, { createdAt: t - 3_600_000 + i, nextAttemptAt: t + 600_000 }))
      const fresh = Array.from({ length: 100 }, (_, i) => makeDelivery(sub.id, { createdAt: t - 1000 + i, nextAttemptAt: t }))
      await store.webhooks.enqueue([...old, ...fresh])
      const claimed = await store.webhooks.claimDue(t, 30_000, 200)
      assert.equal(claimed.length, 100)
      for (const d of claimed) {
        assert.equal(await store.webhooks.settle(d.id, t + 30_000, { state: 'delivered', attempts: 1, nextAttemptAt: t, lastAttemptAt: t, lastStatus: 200, lastError: null }), true)
      }
      const pending = await store.webhooks.listDeliveries({ state: 'pending', limit: 10 })
      assert.deepEqual(pending.map((d) => d.id), old.map((d) => d.id).reverse(), 'all five, newest first')
      const mine = await store.webhooks.listDeliveries({ subscriptionId: sub.id, state: 'pending', limit: 3 })
      assert.deepEqual(mine.map((d) => d.id), old.slice(2).map((d) => d.id).reverse())
      assert.equal((await store.webhooks.listDeliveries({ state: 'delivered', limit: 10 })).length, 10)
    }))

    test('an old delivery that is not delivered (dead, or still retrying) stays listed when the log is trimmed', () => withStores(target, async (store) => {
      const sub = await withSub(store)
      const t = Date.now()
      const ancient = makeDelivery(sub.id, { createdAt: t - 8 * 86_400_000, nextAttemptAt: t - 1 })
      const waiting = makeDelivery(sub.id, { createdAt: t - 9 * 86_400_000, nextAttemptAt: t + 3_600_000 })
      await store.webhooks.enqueue([ancient, waiting])
      const [claimed] = await store.webhooks.claimDue(t, 30_000, 10)
      assert.equal(claimed?.id, ancient.id)
      assert.equal(await store.webhooks.settle(ancient.id, t + 30_000, { state: 'dead', attempts: 9, nextAttemptAt: t, lastAttemptAt: t, lastStatus: 500, lastError: 'HTTP 500' }), true)
      await store.webhooks.enqueue([makeDelivery(sub.id, { createdAt: t })]) // trims the logs
      const listed = (await store.webhooks.listDeliveries({ limit: 100 })).map((d) => d.id)
      assert.ok(listed.includes(ancient.id), 'the dead one')
      assert.ok(listed.includes(waiting.id), 'the retrying one')
      assert.ok((await store.webhooks.listDeliveries({ subscriptionId: sub.id, limit: 100 })).some((d) => d.id === ancient.id))
      assert.deepEqual((await store.webhooks.listDeliveries({ state: 'dead', limit: 10 })).map((d) => d.id), [ancient.id])
    }))

    test('deleting a subscription deletes its deliveries', () => withStores(target, async (store) => {
      const sub = await withSub(store)
      const d = makeDelivery(sub.id)
      await store.webhooks.enqueue([d])
      await store.webhooks.deleteSubscription(sub.id)
      assert.equal(await store.webhooks.getDelivery(d.id), undefined)
      assert.deepEqual(await store.webhooks.claimDue(Date.now() + 1000, 1000, 10), [])
    }))
  })
}
