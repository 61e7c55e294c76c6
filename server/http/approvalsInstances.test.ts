import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { createApiClient } from '../clients/index.ts'
import { connectRedisStore } from '../store/index.ts'
import { createSoftAuthenticator, signUp, startRedisServer, startTestApp, TestClient, type TestApp, type TestRedisServer } from '../testing/index.ts'

// Signing approval over two instances on one Redis: a request made on A is approved on A and B, its token
// comes from B, and 50 concurrent redeems spread over both give exactly one 200.
let redis: TestRedisServer
let a: TestApp
let b: TestApp
let keysDir: string
let t = Date.now()
const clock = { now: () => t, advance: (ms: number) => { t += ms } }

before(async () => {
  redis = await startRedisServer()
  keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-keys-'))
  a = await startTestApp({ store: await connectRedisStore({ url: redis.url, prefix: 'apr' }), keysDir, clock })
  b = await startTestApp({ store: await connectRedisStore({ url: redis.url, prefix: 'apr' }), keysDir, clock })
})
after(async () => {
  await a?.close()
  await b?.close()
  await redis?.stop()
  fs.rmSync(keysDir, { recursive: true, force: true })
})

test('create on A, approve on A and B, token from B, 50 concurrent redeems over both: exactly one 200', async () => {
  const wallet = await createApiClient(a.deps.store, 'wallet', ['wallet-backend'], t)
  const signer = await createApiClient(a.deps.store, 'hsm', ['signing-service'], t)
  const approvers = []
  for (const [name, app] of [['ada', a], ['bea', b]] as const) {
    const client = new TestClient(app.url)
    const auth = createSoftAuthenticator()
    const u = await signUp(client, auth, name)
    // Outside business hours (the clock here is the real one) the shipped policy also asks a risk officer; a person
    // counts toward every group they are in, so these approvers approve at any hour.
    await a.deps.store.users.setRoles(u.user.id, ['treasury', 'risk'])
    approvers.push({ client, auth })
  }
  const w = { authorization: `Bearer ${wallet.key}` }
  const created = await new TestClient(a.url).post('/v1/approvals', { intent: { chain: 'ethereum', asset: 'eth', amount: '25',
    source: { walletId: 'hot-1' }, destination: '0x52908400098527886E0F7030069857D2E4169EE7' }, signer: signer.client.id }, w)
  assert.equal(created.status, 201, JSON.stringify(created.body))
  for (const p of approvers) {
    const o = await p.client.post(`/v1/approvals/${created.body.id}/options`, { decision: 'approve' })
    assert.equal(o.status, 200, JSON.stringify(o.body))
    const v = await p.client.post(`/v1/approvals/${created.body.id}/verify`, { response: await p.auth.authenticate(o.body, { origin: p.client.origin }) })
    assert.equal(v.status, 200, JSON.stringify(v.body))
  }
  const token = (await new TestClient(b.url).get(`/v1/approvals/${created.body.id}/token`, w)).body.token
  const s = { authorization: `Bearer ${signer.key}` }
  const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    new TestClient(i % 2 ? a.url : b.url).post(`/v1/approvals/${created.body.id}/redeem`, { token }, s).then((r) => r.status)))
  assert.equal(statuses.filter((x) => x === 200).length, 1)
  assert.ok(statuses.every((x) => x === 200 || x === 409), statuses.join(','))
  const evidence = (await new TestClient(b.url).get(`/v1/approvals/${created.body.id}/evidence`, w)).body
  assert.equal(evidence.approvals.length, 2)
})
