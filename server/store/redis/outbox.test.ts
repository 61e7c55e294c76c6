import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startRedisServer, type TestRedisServer } from '../../testing/redisServer.ts'
import type { OutboxEvent } from '../ports.ts'
import { connectRedisStore } from './index.ts'

let server: TestRedisServer
before(async () => { server = await startRedisServer() })
after(async () => { await server?.stop() })

// The account's outbox stream is written in the change's own script; listing it for the drain is a second
// step in another slot. A crash between the two must not lose the event: the drain's sweep finds it.
test('an event whose stream was never listed (crash between the two steps) is still drained', async () => {
  const store = await connectRedisStore({ url: server.url, prefix: 'sweep' })
  try {
    const e: OutboxEvent = { id: 'evt_orphan', type: 'login', at: 1, subject: 'u1', data: {} }
    const { createClient } = await import('redis')
    const raw = createClient({ url: server.url })
    await raw.connect()
    await raw.xAdd('sweep:{u:u1}:outbox', '*', { e: JSON.stringify(e) })
    await raw.close()
    const seen: OutboxEvent[] = []
    await store.outbox.drain(async (events) => { seen.push(...events) }, 10)
    assert.deepEqual(seen, [e])
  } finally {
    await store.close()
  }
})
