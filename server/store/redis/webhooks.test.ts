import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startRedisServer, type TestRedisServer } from '../../testing/redisServer.ts'
import { createClient } from 'redis'
import { connectRedisStore } from './index.ts'

let server: TestRedisServer
before(async () => { server = await startRedisServer() })
after(async () => { await server?.stop() })

/** A store under its own prefix with subscription wh_1, and a raw client to write what an older version wrote. */
async function withSubscription(prefix: string) {
  const store = await connectRedisStore({ url: server.url, prefix })
  const raw = createClient({ url: server.url })
  await raw.connect()
  await store.webhooks.createSubscription({ id: 'wh_1', url: 'https://hooks.example.com/', description: '', eventTypes: ['*'],
    secret: 'whsec_x', createdAt: 1, disabledAt: null })
  return { store, raw }
}

// Before per-subscription queues, every pending delivery sat in one shared `due` set under its bare id. An upgraded
// instance must still deliver those, one per entity at a time like the rest.
test('deliveries left in the shared due set by an older version are claimed, settled and not lost', async () => {
  const { store, raw } = await withSubscription('legacy')
  try {
    for (const [id, subject] of [['dlv_z', 'usr_a'], ['dlv_a', 'usr_b'], ['dlv_m', 'usr_a']] as const) {
      await raw.hSet(`legacy:{wh}:d:${id}`, { id, subscriptionId: 'wh_1', state: 'pending', attempts: '0', nextAttemptAt: '5',
        lastAttemptAt: '', lastStatus: '', lastError: '', createdAt: '5', event: JSON.stringify({ id: `evt_${id}`, type: 'login', at: 5, subject, data: {} }) })
      await raw.zAdd('legacy:{wh}:due', { score: id === 'dlv_m' ? 6 : 5, value: id })
    }
    assert.deepEqual((await store.webhooks.claimDue(10, 1000, 10)).map((d) => d.id).sort(), ['dlv_a', 'dlv_z'])
    assert.equal(await raw.zCard('legacy:{wh}:due'), 0, 'moved to the subscription\'s queue')
    assert.equal(await store.webhooks.settle('dlv_z', 1010, { state: 'pending', attempts: 1, nextAttemptAt: 5000, lastAttemptAt: 10,
      lastStatus: 500, lastError: 'HTTP 500' }), true)
    assert.deepEqual((await store.webhooks.claimDue(10, 1000, 10)).map((d) => d.id), ['dlv_m'])
    const ok = { state: 'delivered' as const, attempts: 1, nextAttemptAt: 10, lastAttemptAt: 10, lastStatus: 204, lastError: null }
    for (const id of ['dlv_a', 'dlv_m']) assert.equal(await store.webhooks.settle(id, 1010, ok), true)
    assert.deepEqual((await store.webhooks.claimDue(5000, 1000, 10)).map((d) => d.id), ['dlv_z'], 'retried when due')
    assert.equal((await store.webhooks.getDelivery('dlv_m'))?.state, 'delivered')
  } finally {
    await raw.close()
    await store.close()
  }
})

// Found in review: during a rolling upgrade an older instance writes a numbered delivery's bare id to the shared set
// (its replay or settle); moved under that bare id it stayed beside `seq|id`, and was claimed every lease period.
test('a numbered delivery an older instance put back in the shared set moves under its own member; its retry waits', async () => {
  const { store, raw } = await withSubscription('mixed')
  try {
    await store.webhooks.enqueue([{ id: 'dlv_1', subscriptionId: 'wh_1', state: 'pending', attempts: 0, nextAttemptAt: 5,
      lastAttemptAt: null, lastStatus: null, lastError: null, createdAt: 5,
      event: { id: 'evt_1', type: 'login', at: 5, subject: 'usr_a', data: {} } }])
    assert.equal(await raw.hGet('mixed:{wh}:d:dlv_1', 'subject'), 'usr_a', 'the claim reads the entity without decoding the event')
    await raw.zAdd('mixed:{wh}:due', { score: 2000, value: 'dlv_1' }) // an old instance's replay
    assert.deepEqual((await store.webhooks.claimDue(2000, 100, 10)).map((d) => d.id), ['dlv_1'])
    assert.equal(await store.webhooks.settle('dlv_1', 2100, { state: 'pending', attempts: 1, nextAttemptAt: 60_000, lastAttemptAt: 2000,
      lastStatus: 500, lastError: 'HTTP 500' }), true)
    assert.deepEqual((await raw.zRange('mixed:{wh}:sub:wh_1:due', 0, -1)).length, 1, 'one member')
    for (const t of [2100, 2200, 2300]) assert.deepEqual(await store.webhooks.claimDue(t, 100, 10), [], `not claimed at ${t}: the retry is due at 60000`)
    assert.deepEqual((await store.webhooks.claimDue(60_000, 100, 10)).map((d) => d.id), ['dlv_1'])
  } finally {
    await raw.close()
    await store.close()
  }
})
