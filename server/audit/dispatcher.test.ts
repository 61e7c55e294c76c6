import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { pino } from 'pino'
import type { Config } from '../config.ts'
import { connectRedisStore, openSqliteStore, type Store } from '../store/index.ts'
import { startRedisServer, type TestRedisServer } from '../testing/index.ts'
import { startDispatcher } from './dispatcher.ts'
import { domainEvent, newWebhookSecret } from './index.ts'

interface Hit { subject: string; n: number; start: number; end: number }

/** A receiver that answers 204 after `holdMs`, or never (`holdMs` undefined); it records each request. */
async function receiver(holdMs: number | undefined) {
  const hits: Hit[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      const { data } = JSON.parse(body) as { data: { subject: string; n: number } }
      const hit: Hit = { subject: data.subject, n: data.n, start: Date.now(), end: Infinity }
      if (holdMs === undefined) return
      setTimeout(() => {
        hit.end = Date.now()
        hits.push(hit)
        res.statusCode = 204
        res.end()
      }, holdMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    hits,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close() {
      server.closeAllConnections()
      server.close()
    },
  }
}

function config(timeoutMs: number): Pick<Config, 'webhooks'> {
  return { webhooks: { maxAttempts: 5, backoffMs: 60_000, timeoutMs, allowHttp: true, allowPrivate: false, allowLoopback: true, pollMs: 20 } }
}

async function subscribe(store: Store, id: string, url: string, createdAt: number) {
  await store.webhooks.createSubscription({ id, url, description: '', eventTypes: ['*'], secret: newWebhookSecret(), createdAt, disabledAt: null })
}

async function until(done: () => boolean, ms: number) {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await new Promise((r) => setTimeout(r, 10))
}

let redis: TestRedisServer
before(async () => { redis = await startRedisServer() })
after(async () => { await redis?.stop() })

let prefixes = 0
const stores: [string, () => Promise<Store>][] = [
  ['sqlite', async () => openSqliteStore({ path: ':memory:' })],
  ['redis', () => connectRedisStore({ url: redis.url, prefix: `dispatch${++prefixes}` })],
]

for (const [name, open] of stores) {
  describe(`${name}: dispatcher`, () => {
    // README: order is kept per entity. One drain's deliveries share a due time (Redis broke that tie by delivery
    // id, at random), and a round sent all it claimed at once, so one account's events overtook each other.
    test('one entity\'s events go out one at a time, in the order they happened; other entities meanwhile', async () => {
      const store = await open()
      const rx = await receiver(15)
      const d = startDispatcher({ store, config: config(2000), log: pino({ level: 'silent' }), now: Date.now })
      try {
        await subscribe(store, 'wh_order', rx.url, 1)
        const t = Date.now()
        for (let n = 0; n < 10; n++) {
          await store.outbox.publish([domainEvent('login', 'usr_one', t + n, { n }), domainEvent('login', `usr_other${n}`, t + n, { n })])
        }
        d.kick()
        await until(() => rx.hits.length === 20, 10_000)
        const one = rx.hits.filter((h) => h.subject === 'usr_one').sort((a, b) => a.start - b.start)
        assert.deepEqual(one.map((h) => h.n), [...Array(10).keys()], 'in the order they happened')
        for (let i = 1; i < one.length; i++) {
          assert.ok(one[i]!.start >= one[i - 1]!.end, `event ${i} was sent before event ${i - 1}'s attempt ended`)
        }
        assert.equal(rx.hits.length, 20)
      } finally {
        await d.stop()
        rx.close()
        await store.close()
      }
    })
  })
}

// A round claimed 16 deliveries and waited for all of them: one receiver that never answers held every other
// subscription for a timeout per round (a healthy receiver's 64 events: 7.2 s instead of 0.2 s).
test('a receiver that never answers delays only itself', async () => {
  const store = openSqliteStore({ path: ':memory:' })
  const hanging = await receiver(undefined)
  const healthy = await receiver(0)
  const timeoutMs = 1500
  const d = startDispatcher({ store, config: config(timeoutMs), log: pino({ level: 'silent' }), now: Date.now })
  try {
    await subscribe(store, 'wh_hanging', hanging.url, 1)
    await subscribe(store, 'wh_healthy', healthy.url, 2)
    await store.outbox.publish(Array.from({ length: 48 }, (_, n) => domainEvent('login', `usr_${n}`, Date.now(), { n })))
    const t0 = Date.now()
    d.kick()
    await until(() => healthy.hits.length === 48, 10_000)
    assert.equal(healthy.hits.length, 48)
    assert.ok(Date.now() - t0 < timeoutMs, `the healthy receiver waited ${Date.now() - t0} ms, for the hanging one's timeout`)
  } finally {
    await d.stop()
    hanging.close()
    healthy.close()
    await store.close()
  }
})
