import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createApiClient } from '../clients/index.ts'
import { connectRedisStore } from '../store/index.ts'
import { createSoftAuthenticator, signUp, startRedisServer, startTestApp, TEST_ORIGIN, TestClient } from '../testing/index.ts'

const intent = { chain: 'ethereum', asset: 'eth', amount: '1', source: { walletId: 'hot-1' }, destination: '0x52908400098527886E0F7030069857D2E4169EE7' }

test('Redis outage fails closed: with the store gone, redeeming a token (even a spent one), API keys, access tokens, cookies and sign-in all answer 503, never a success', async () => {
  const redis = await startRedisServer()
  let stopped = false
  const store = await connectRedisStore({ url: redis.url, prefix: 'secfault' })
  const app = await startTestApp({ store })
  try {
    const now = app.clock.now()
    const walletKey = { authorization: `Bearer ${(await createApiClient(app.deps.store, 'wallet', ['wallet-backend'], now)).key}` }
    const s = await createApiClient(app.deps.store, 'hsm', ['signing-service'], now)
    const hsm = { authorization: `Bearer ${s.key}` }
    const approver = new TestClient(app.url)
    const auth = createSoftAuthenticator()
    const u = await signUp(approver, auth, 'fault-approver')
    // Outside business hours (the clock here is the real one) the shipped policy also asks a risk officer; a person
    // counts toward every group they are in, so these approvers approve at any hour.
    await app.deps.store.users.setRoles(u.user.id, ['treasury', 'risk'])
    const api = new TestClient(app.url, '')
    const approve = async (): Promise<{ id: string; token: string }> => {
      const a = await api.post('/v1/approvals', { intent, signer: s.client.id }, walletKey)
      assert.equal(a.status, 201, JSON.stringify(a.body))
      const o = await approver.post(`/v1/approvals/${a.body.id}/options`, { decision: 'approve' })
      const v = await approver.post(`/v1/approvals/${a.body.id}/verify`, { response: await auth.authenticate(o.body, { origin: TEST_ORIGIN }) })
      assert.equal(v.body.status, 'approved', JSON.stringify(v.body))
      const t = await api.get(`/v1/approvals/${a.body.id}/token`, walletKey)
      assert.equal(t.status, 200, JSON.stringify(t.body))
      return { id: a.body.id, token: t.body.token }
    }
    const spent = await approve()
    assert.equal((await api.post(`/v1/approvals/${spent.id}/redeem`, { token: spent.token }, hsm)).status, 200)
    const fresh = await approve()
    const access = (await approver.post('/v1/sessions/token')).body.access_token as string
    const loginOptions = await new TestClient(app.url).post('/v1/passkeys/login/options', {})
    const assertion = await auth.authenticate(loginOptions.body, { origin: TEST_ORIGIN })

    await redis.stop()
    stopped = true
    const attempts: [string, () => Promise<{ status: number; body: any }>][] = [
      ['redeem a spent token', () => api.post(`/v1/approvals/${spent.id}/redeem`, { token: spent.token }, hsm)],
      ['redeem a fresh token', () => api.post(`/v1/approvals/${fresh.id}/redeem`, { token: fresh.token }, hsm)],
      ['create an approval with an API key', () => api.post('/v1/approvals', { intent, signer: s.client.id }, walletKey)],
      ['use an access token', () => api.get('/v1/me', { authorization: `Bearer ${access}` })],
      ['use the session cookie', () => approver.get('/v1/me')],
      ['finish a sign-in', () => new TestClient(app.url).post('/v1/passkeys/login/verify', { response: assertion })],
      ['start a sign-in', () => new TestClient(app.url).post('/v1/passkeys/login/options', {})],
    ]
    for (const [what, attempt] of attempts) {
      const r = await attempt()
      assert.equal(r.status, 503, `${what}: ${r.status} ${JSON.stringify(r.body)}`)
      assert.equal(r.body.code, 'store_unavailable', what)
    }
    assert.equal((await api.get('/readyz')).status, 503)
  } finally {
    if (!stopped) await redis.stop()
    await app.close()
  }
})
