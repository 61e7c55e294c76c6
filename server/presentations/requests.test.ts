import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createApiClient } from '../clients/index.ts'
import { startTestApp, startWebhookReceiver, TestClient } from '../testing/index.ts'

// The result was stored, then its event published in a second call: a crash between the two left a result the app
// could read and no presentation.* event. The publish step is made to fail here, as that crash would.
test('a presentation result and its event are written together: no separate publish can lose the event', async () => {
  const app = await startTestApp({ env: { SIGIL_OUTBOX_POLL_MS: '20' } })
  const receiver = await startWebhookReceiver()
  try {
    const store = app.deps.store
    const rp = await createApiClient(store, 'shop', ['relying-app'], Date.now())
    const ops = await createApiClient(store, 'ops', ['webhook-admin'], Date.now())
    const api = new TestClient(app.url)
    const hook = await api.post('/v1/webhooks', { url: receiver.url, eventTypes: ['presentation.failed'] }, { authorization: `Bearer ${ops.key}` })
    assert.equal(hook.status, 201, JSON.stringify(hook.body))
    const req = await api.post('/v1/presentations/requests', { claims: ['age_equal_or_over.18'] }, { authorization: `Bearer ${rp.key}` })
    assert.equal(req.status, 201, JSON.stringify(req.body))
    store.outbox.publish = async () => { throw new Error('the process dies here') }
    const answer = await fetch(`${app.url}/v1/presentations/responses/${req.body.id}`, { method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ vp_token: '{"x":1}' }) })
    assert.equal(answer.status, 422)
    await receiver.waitFor((r) => r.length > 0, 5000)
    const body = JSON.parse(receiver.received[0]!.body) as { type: string; data: { subject: string; reason: string } }
    assert.deepEqual([body.type, body.data.subject, body.data.reason], ['presentation.failed', req.body.id, 'vp_token_malformed'])
    const result = await api.get(`/v1/presentations/requests/${req.body.id}`, { authorization: `Bearer ${rp.key}` })
    assert.equal(result.body.status, 'failed')
  } finally {
    await app.close()
    await receiver.close()
  }
})
