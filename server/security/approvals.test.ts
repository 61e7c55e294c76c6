import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createApiClient } from '../clients/index.ts'
import { createSoftAuthenticator, signUp, startTestApp, TestClient, type TestApp } from '../testing/index.ts'

let app: TestApp
let wallet: Record<string, string>
let hsm: Record<string, string>
let hsmId: string
const approvers: { client: TestClient; auth: ReturnType<typeof createSoftAuthenticator> }[] = []
const intent = (amount: string) => ({ chain: 'ethereum', asset: 'eth', amount, source: { walletId: 'hot-1' }, destination: '0x52908400098527886E0F7030069857D2E4169EE7' })

before(async () => {
  app = await startTestApp()
  wallet = { authorization: `Bearer ${(await createApiClient(app.deps.store, 'wallet', ['wallet-backend'], app.clock.now())).key}` }
  const s = await createApiClient(app.deps.store, 'hsm', ['signing-service'], app.clock.now())
  hsm = { authorization: `Bearer ${s.key}` }
  hsmId = s.client.id
  for (const name of ['ann', 'ben']) {
    const client = new TestClient(app.url)
    const auth = createSoftAuthenticator()
    const u = await signUp(client, auth, name)
    // Outside business hours (the clock here is the real one) the shipped policy also asks a risk officer; a person
    // counts toward every group they are in, so these approvers approve at any hour.
    await app.deps.store.users.setRoles(u.user.id, ['treasury', 'risk'])
    approvers.push({ client, auth })
  }
})
after(() => app.close())

/** An approved transfer and its token, over HTTP with real passkeys. */
async function approved(amount: string): Promise<{ id: string; token: string }> {
  const api = new TestClient(app.url, '')
  const a = await api.post('/v1/approvals', { intent: intent(amount), signer: hsmId }, wallet)
  assert.equal(a.status, 201, JSON.stringify(a.body))
  for (const p of approvers) {
    const o = await p.client.post(`/v1/approvals/${a.body.id}/options`, { decision: 'approve' })
    const v = await p.client.post(`/v1/approvals/${a.body.id}/verify`, { response: await p.auth.authenticate(o.body, { origin: p.client.origin }) })
    assert.equal(v.status, 200, JSON.stringify(v.body))
    if (v.body.status === 'approved') break // small amounts need one approver
  }
  const tok = await api.get(`/v1/approvals/${a.body.id}/token`, wallet)
  assert.equal(tok.status, 200, JSON.stringify(tok.body))
  return { id: a.body.id, token: tok.body.token }
}

test('Approval token swap: the token of a small approved transfer is refused for another approved request, which stays redeemable', async () => {
  const small = await approved('1')
  const large = await approved('20')
  const api = new TestClient(app.url, '')
  const swapped = await api.post(`/v1/approvals/${large.id}/redeem`, { token: small.token }, hsm)
  assert.equal(swapped.status, 400, JSON.stringify(swapped.body))
  assert.equal(swapped.body.code, 'approval_token_invalid')
  // Neither request was spent by the attempt.
  assert.equal((await api.post(`/v1/approvals/${large.id}/redeem`, { token: large.token }, hsm)).status, 200)
  assert.equal((await api.post(`/v1/approvals/${small.id}/redeem`, { token: small.token }, hsm)).status, 200)
  assert.equal((await api.post(`/v1/approvals/${small.id}/redeem`, { token: small.token }, hsm)).status, 409)
})
