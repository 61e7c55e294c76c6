import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { decodeJwt } from 'jose'
import { presentSdJwtVc } from '../../credentials/index.ts'
import { TestClient } from '../testing/index.ts'
import { issuedToHolder, type KycWorld, relyingApp, startKycWorld } from '../testing/kycHarness.ts'

// The refusals of presentation checks that nothing else exercises: each test fails with its guard removed.
let w: KycWorld
let app: Record<string, string>
let appId: string
before(async () => {
  w = await startKycWorld()
  ;({ headers: app, id: appId } = await relyingApp(w))
})
after(() => w.close())

const now = () => new Date(w.app.clock.now())

const issued = () => issuedToHolder(w)

/** An OpenID4VP request for `claims`, and a wallet's presentation answering its nonce and client id. */
async function answerable(claims: string[], expiresInSeconds = 600) {
  const created = await new TestClient(w.app.url).post('/v1/presentations/requests', { claims, expiresInSeconds }, app)
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const payload = decodeJwt(created.body.request)
  const c = await issued()
  const vp = await presentSdJwtVc(c.credential, { disclose: claims.map((x) => x.split('.')),
    keyBinding: { holder: c.holder.signer, nonce: String(payload.nonce), audience: String(payload.client_id), now: now() } })
  const post = (body: Record<string, string>) => fetch(`${w.app.url}/v1/presentations/responses/${created.body.id}`,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) })
  return { id: created.body.id as string, state: String(payload.state), vp, post }
}

test('verify: the issuer JWT with its disclosures but no KB-JWT (what any app shown a presentation holds) is refused', async () => {
  const c = await issued()
  const vp = await presentSdJwtVc(c.credential, { disclose: [['sanctions_screened']],
    keyBinding: { holder: c.holder.signer, nonce: 'nonce-another-app-0123', audience: 'https://another-app.example', now: now() } })
  const bare = `${vp.split('~').slice(0, -1).join('~')}~`
  const r = await new TestClient(w.app.url).post('/v1/presentations/verify', { presentation: bare, nonce: 'nonce-0123456789abcdef', claims: ['sanctions_screened'] }, app)
  assert.equal(r.status, 422, JSON.stringify(r.body))
  assert.equal(r.body.reason, 'kb_jwt_missing')
})

test('OpenID4VP: another relying app cannot read (or spend) this app\'s result', async () => {
  const other = await relyingApp(w, 'other-shop')
  const r = await answerable(['sanctions_screened'])
  assert.equal((await r.post({ vp_token: JSON.stringify({ kyc: [r.vp] }), state: r.state })).status, 200)
  const stolen = await new TestClient(w.app.url).get(`/v1/presentations/requests/${r.id}`, other.headers)
  assert.deepEqual(stolen.body, { id: r.id, status: 'pending' }, 'as for an unknown id')
  const mine = await new TestClient(w.app.url).get(`/v1/presentations/requests/${r.id}`, app)
  assert.equal(mine.body.status, 'verified')
  assert.deepEqual(mine.body.claims, { sanctions_screened: true })
})

test('OpenID4VP: an answer carrying another request\'s state is refused (state_mismatch)', async () => {
  const r = await answerable(['sanctions_screened'])
  const answer = await r.post({ vp_token: JSON.stringify({ kyc: [r.vp] }), state: 'not-this-request-state' })
  assert.equal(answer.status, 422)
  assert.equal((await answer.json()).reason, 'state_mismatch')
})

test('OpenID4VP: an answer after the request expired is refused as unknown', async () => {
  const r = await answerable(['sanctions_screened'], 60)
  w.app.clock.advance(61_000)
  const answer = await r.post({ vp_token: JSON.stringify({ kyc: [r.vp] }), state: r.state })
  assert.equal(answer.status, 400, await answer.clone().text())
  assert.equal((await answer.json()).code, 'presentation_request_unknown')
})

// Last: it moves the clock two hours on, past the idle limit of the harness's KYC officer session (1 h).
test('verify: the server\'s own status check holds hours on: the list it reads is never older than its ttl', async () => {
  // Sigil verifies its own credentials against the list it would serve; were that a token kept past its ttl (60 s),
  // the freshness check on iat would refuse every presentation once the list had been read.
  const c = await issued()
  const check = async (nonce: string) => new TestClient(w.app.url).post('/v1/presentations/verify', { nonce, claims: ['sanctions_screened'],
    presentation: await presentSdJwtVc(c.credential, { disclose: [['sanctions_screened']], keyBinding: { holder: c.holder.signer, nonce, audience: appId, now: now() } }) }, app)
  assert.equal((await check('nonce-0123456789abcdef')).status, 200)
  w.app.clock.advance(2 * 3600_000) // far past the token's ttl, well before its exp (24 h)
  const r = await check('nonce-abcdef0123456789')
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.equal(r.body.status, 'valid')
})
