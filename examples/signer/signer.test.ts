import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createApiClient } from '../../server/clients/index.ts'
import { createSoftAuthenticator, signUp, startTestApp, TEST_ORIGIN, TestClient, type TestApp } from '../../server/testing/index.ts'
import { createReferenceSigner, SignerRefusal } from './signer.ts'

// The reference signer against a real Sigil: real tokens, real JWKS over HTTP, real redemption.
let t = Date.now()
let app: TestApp
let wallet: Record<string, string>
let signer: { id: string; key: string }
let other: { id: string; key: string }
const approvers: { client: TestClient; auth: ReturnType<typeof createSoftAuthenticator> }[] = []
const intent = { chain: 'ethereum', asset: 'eth', amount: '25', source: { walletId: 'hot-1' }, destination: '0x52908400098527886E0F7030069857D2E4169EE7' }

before(async () => {
  app = await startTestApp({ clock: { now: () => t, advance: (ms) => { t += ms } } })
  wallet = { authorization: `Bearer ${(await createApiClient(app.deps.store, 'wallet', ['wallet-backend'], t)).key}` }
  const s = await createApiClient(app.deps.store, 'hsm', ['signing-service'], t)
  signer = { id: s.client.id, key: s.key }
  const o = await createApiClient(app.deps.store, 'other-hsm', ['signing-service'], t)
  other = { id: o.client.id, key: o.key }
  for (const name of ['ann', 'ben']) {
    const client = new TestClient(app.url)
    const auth = createSoftAuthenticator()
    const u = await signUp(client, auth, name)
    // Outside business hours (this clock is the real one) the shipped policy also asks a risk officer: a person
    // counts toward every group they are in, so two approvers in both groups approve at any hour.
    await app.deps.store.users.setRoles(u.user.id, ['treasury', 'risk'])
    approvers.push({ client, auth })
  }
})
after(() => app.close())

/** An approved request and a token for it. */
async function approved(): Promise<{ id: string; token: string }> {
  const api = new TestClient(app.url)
  const a = (await api.post('/v1/approvals', { intent, signer: signer.id }, wallet)).body
  for (const p of approvers) {
    const o = await p.client.post(`/v1/approvals/${a.id}/options`, { decision: 'approve' })
    await p.client.post(`/v1/approvals/${a.id}/verify`, { response: await p.auth.authenticate(o.body, { origin: p.client.origin }) })
  }
  const tok = await api.get(`/v1/approvals/${a.id}/token`, wallet)
  assert.equal(tok.status, 200, JSON.stringify(tok.body))
  return { id: a.id, token: tok.body.token }
}

const gate = (over: { signerId?: string; apiKey?: string; now?: () => Date } = {}) => createReferenceSigner({
  sigilUrl: app.url, issuer: TEST_ORIGIN, signerId: over.signerId ?? signer.id, apiKey: over.apiKey ?? signer.key, now: over.now ?? (() => new Date(t)),
})

test('signs an approved transaction once; a replay of the token is refused by Sigil and nothing is signed', async () => {
  const { id, token } = await approved()
  let signed = 0
  const r = await gate().signApproved(id, token, intent, async () => ++signed)
  assert.equal(r.signature, 1)
  await assert.rejects(gate().signApproved(id, token, intent, async () => ++signed), (e) => e instanceof SignerRefusal && e.code === 'redeem_refused' && e.status === 409)
  assert.equal(signed, 1)
})

test('refuses another transaction than the approved one (one changed field)', async () => {
  const { id, token } = await approved()
  await assert.rejects(gate().signApproved(id, token, { ...intent, amount: '250' }, async () => 'sig'), { code: 'digest_mismatch' })
  await assert.rejects(gate().signApproved(id, token, { ...intent, destination: '0x52908400098527886E0F7030069857D2E4169EE8' }, async () => 'sig'), { code: 'digest_mismatch' })
})

test('refuses an expired token and a token for another signing service, before redeeming', async () => {
  const { id, token } = await approved()
  // Expired beyond the 30 s allowed for clock drift.
  await assert.rejects(gate({ now: () => new Date(t + 331_000) }).signApproved(id, token, intent, async () => 'sig'), { code: 'token_invalid' })
  await assert.rejects(gate({ signerId: other.id, apiKey: other.key }).signApproved(id, token, intent, async () => 'sig'), { code: 'token_invalid' })
  // Still redeemable by the right signer: nothing above spent it.
  assert.equal((await gate().signApproved(id, token, intent, async () => 'sig')).signature, 'sig')
})

test('refuses a token whose signature was tampered with', async () => {
  const { id, token } = await approved()
  const [h, p, s] = token.split('.')
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), approvers: ['mallory'] })).toString('base64url')}.${s}`
  await assert.rejects(gate().signApproved(id, forged, intent, async () => 'sig'), { code: 'token_invalid' })
})

test('signs what it checked: an object that shows the approved intent to JSON but holds another is signed as approved', async () => {
  const { id, token } = await approved()
  // A caller's object whose toJSON presents the approved intent while its fields say something else.
  const sneaky = { ...intent, amount: '2500', destination: '0x000000000000000000000000000000000000bEEF', toJSON: () => intent }
  let signedOver: unknown
  await gate().signApproved(id, token, sneaky, async (checked) => { signedOver = checked; return 'sig' })
  assert.deepEqual(signedOver, JSON.parse(JSON.stringify(intent)), 'the copy made from the checked bytes')
  assert.ok(Object.isFrozen(signedOver) && Object.isFrozen((signedOver as { source: object }).source), 'and it cannot be changed while signing')
})

test('a signer whose clock is a few seconds behind Sigil\'s still accepts a fresh token', async () => {
  const { id, token } = await approved()
  assert.equal((await gate({ now: () => new Date(t - 5_000) }).signApproved(id, token, intent, async () => 'sig')).signature, 'sig')
})
