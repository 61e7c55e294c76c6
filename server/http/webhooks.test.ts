import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Webhook } from 'standardwebhooks'
import { createApiClient } from '../clients/index.ts'
import {
  createSoftAuthenticator, signIn, signUp, startTestApp, startWebhookReceiver, TestClient, type TestApp,
  type WebhookReceiver,
} from '../testing/index.ts'

let app: TestApp
let receiver: WebhookReceiver
let admin: Record<string, string>
let other: Record<string, string>

before(async () => {
  app = await startTestApp({ env: { SIGIL_OUTBOX_POLL_MS: '20', SIGIL_WEBHOOK_BACKOFF_MS: '50', SIGIL_WEBHOOK_MAX_ATTEMPTS: '3' } })
  receiver = await startWebhookReceiver()
  const { key } = await createApiClient(app.deps.store, 'Ops', ['webhook-admin'], Date.now())
  admin = { authorization: `Bearer ${key}` }
  const wallet = await createApiClient(app.deps.store, 'Wallet', ['wallet-backend'], Date.now())
  other = { authorization: `Bearer ${wallet.key}` }
})
after(async () => {
  await app.close()
  await receiver.close()
})

const api = () => new TestClient(app.url)
/** Moves the app's clock with real time, so backoff delays pass while a test waits. */
const tickClock = () => app.clock.advance(25)

test('events reach a subscriber signed the Standard Webhooks way, checked by the reference library', async () => {
  const created = await api().post('/v1/webhooks', { url: receiver.url, description: 'ops' }, admin)
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.match(created.body.secret, /^whsec_/)
  const auth = createSoftAuthenticator()
  const user = await signUp(api(), auth, 'hooked')
  assert.equal((await signIn(api(), auth)).status, 200)
  await receiver.waitFor((r) => r.some((w) => w.body.includes('"login"')))
  const verifier = new Webhook(created.body.secret)
  const payloads = receiver.received.map((w) => verifier.verify(w.body, w.headers) as { type: string; data: Record<string, unknown> })
  const account = payloads.find((p) => p.type === 'account.created')
  assert.equal(account?.data.subject, user.user.id)
  assert.ok(payloads.some((p) => p.type === 'login' && p.data.subject === user.user.id))
  for (const w of receiver.received) {
    assert.match(w.headers['webhook-id']!, /^evt_/)
    assert.ok(!w.body.includes('hooked'), 'no handle (PII) in events')
  }
  const tampered = receiver.received[0]!
  assert.throws(() => verifier.verify(tampered.body.replace('"type"', '"typ"'), tampered.headers), /No matching signature found/)
  await api().delete(`/v1/webhooks/${created.body.id}`, admin)
})

test('a failing receiver is retried with backoff, the delivery goes dead, and a replay delivers it', async () => {
  receiver.received.length = 0
  receiver.respondWith(500)
  const sub = (await api().post('/v1/webhooks', { url: receiver.url, eventTypes: ['account.created'] }, admin)).body
  await signUp(api(), createSoftAuthenticator(), 'retry-me')
  await receiver.waitFor((r) => r.length >= 3, 15_000, tickClock)
  const id = receiver.received[0]!.headers['webhook-id']
  assert.ok(receiver.received.every((w) => w.headers['webhook-id'] === id), 'one event, the same id on every attempt')
  let dead: any
  for (let i = 0; i < 200 && !dead?.deliveries?.length; i++) {
    dead = (await api().get(`/v1/webhooks/${sub.id}/deliveries?state=dead`, admin)).body
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.equal(dead.deliveries.length, 1)
  assert.equal(dead.deliveries[0].attempts, 3)
  assert.equal(dead.deliveries[0].lastError, 'HTTP 500')
  assert.equal(receiver.received.length, 3, 'no attempt after the last one')

  receiver.respondWith(204)
  const replay = await api().post(`/v1/webhooks/${sub.id}/replay`, {}, admin)
  assert.deepEqual(replay.body, { replayed: 1 })
  await receiver.waitFor((r) => r.length === 4, 15_000, tickClock)
  // The receiver has it; the delivery is marked delivered once the attempt is settled (poll briefly for that).
  let state = ''
  for (let i = 0; i < 100 && state !== 'delivered'; i++) {
    state = (await api().get(`/v1/webhooks/${sub.id}/deliveries`, admin)).body.deliveries[0].state
    if (state !== 'delivered') await new Promise((r) => setTimeout(r, 50))
  }
  assert.equal(state, 'delivered')
  await api().delete(`/v1/webhooks/${sub.id}`, admin)
})

test('a subscription gets only the event types it asked for; a paused one gets nothing until resumed', async () => {
  receiver.received.length = 0
  const sub = (await api().post('/v1/webhooks', { url: receiver.url, eventTypes: ['login'] }, admin)).body
  const auth = createSoftAuthenticator()
  await signUp(api(), auth, 'only-logins')
  assert.equal((await signIn(api(), auth)).status, 200)
  await receiver.waitFor((r) => r.length >= 1)
  await new Promise((r) => setTimeout(r, 200))
  assert.deepEqual(receiver.received.map((w) => JSON.parse(w.body).type), ['login'])

  assert.equal((await api().patch(`/v1/webhooks/${sub.id}`, { enabled: false }, admin)).body.enabled, false)
  assert.equal((await signIn(api(), auth)).status, 200)
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(receiver.received.length, 1, 'paused: nothing delivered')
  assert.equal((await api().patch(`/v1/webhooks/${sub.id}`, { enabled: true }, admin)).body.enabled, true)
  app.clock.advance(61_000)
  await receiver.waitFor((r) => r.length === 2, 15_000, tickClock)
  await api().delete(`/v1/webhooks/${sub.id}`, admin)
})

test('bad input and wrong callers get problem+json with the field named', async () => {
  const bad = await api().post('/v1/webhooks', { url: 'http://example.com/hook' }, admin)
  assert.equal(bad.status, 400)
  assert.equal(bad.body.code, 'webhook_url_invalid')
  assert.equal(bad.body.field, 'url')
  const creds = await api().post('/v1/webhooks', { url: 'https://user:pw@example.com/hook' }, admin)
  assert.equal(creds.body.code, 'webhook_url_invalid')
  // A lookalike host is stored and shown as where deliveries go, never as the name it imitates.
  const lookalike = await api().post('/v1/webhooks', { url: 'https://ex\u0430mple.com/hook' }, admin)
  assert.equal(lookalike.status, 201)
  assert.equal(lookalike.body.url, 'https://xn--exmple-4nf.com/hook')
  assert.equal((await api().get(`/v1/webhooks/${lookalike.body.id}`, admin)).body.url, 'https://xn--exmple-4nf.com/hook')
  await api().delete(`/v1/webhooks/${lookalike.body.id}`, admin)
  const types = await api().post('/v1/webhooks', { url: 'https://example.com/hook', eventTypes: ['nope'] }, admin)
  assert.equal(types.body.code, 'request_invalid')
  assert.equal(types.body.field, 'eventTypes.0')
  const extra = await api().post('/v1/webhooks', { url: 'https://example.com/hook', secret: 'mine' }, admin)
  assert.equal(extra.body.code, 'request_invalid')
  assert.equal((await api().post('/v1/webhooks', { url: 'https://example.com/hook' }, other)).body.code, 'client_role_forbidden')
  assert.equal((await api().post('/v1/webhooks', { url: 'https://example.com/hook' })).status, 401)
  assert.equal((await api().get('/v1/webhooks/wh_missing', admin)).body.code, 'webhook_not_found')
  assert.equal((await api().get('/v1/webhooks/wh_missing/deliveries?limit=0', admin)).body.code, 'request_invalid')
  const list = await api().get('/v1/webhooks', admin)
  assert.ok(list.body.webhooks.every((w: Record<string, unknown>) => !('secret' in w)), 'secrets are shown once only')
})
