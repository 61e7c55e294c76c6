import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openSqliteStore } from '../store/index.ts'
import { createMetrics } from './metrics.ts'

test('the outbox backlog is read from the store at each scrape; a store that cannot answer shows as NaN, not as 0', async () => {
  const store = openSqliteStore({ path: ':memory:' })
  try {
    let down = false
    const metrics = createMetrics({ defaults: false, outboxPending: () => down ? Promise.reject(new Error('store down')) : store.outbox.pending() })
    assert.match(await metrics.registry.metrics(), /^sigil_outbox_pending_events 0$/m)
    await store.outbox.publish([1, 2, 3].map((i) => ({ id: `evt_${i}`, type: 'account.created', at: i, subject: `usr_${i}`, data: {} })))
    assert.match(await metrics.registry.metrics(), /^sigil_outbox_pending_events 3$/m)
    down = true // prom-client writes NaN as "Nan"; Prometheus reads either spelling
    assert.match(await metrics.registry.metrics(), /^sigil_outbox_pending_events nan$/im)
  } finally {
    await store.close()
  }
})

test('without a store to ask, there is no backlog gauge (rather than a gauge stuck at 0)', async () => {
  assert.doesNotMatch(await createMetrics({ defaults: false }).registry.metrics(), /sigil_outbox_pending_events/)
})
