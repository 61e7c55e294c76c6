import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { presentSdJwtVc } from '../../credentials/index.ts'
import { createApiClient } from '../clients/index.ts'
import { TestClient } from '../testing/index.ts'
import { createOffer, receiveCredential, startKycWorld, submitSubject, type KycWorld } from '../testing/kycHarness.ts'

// Checks on presentations that nothing else exercises.
let w: KycWorld
let app: Record<string, string>
let appId: string
before(async () => {
  w = await startKycWorld()
  const c = await createApiClient(w.app.deps.store, 'exchange', ['relying-app'], Date.now())
  app = { authorization: `Bearer ${c.key}` }
  appId = c.client.id
})
after(() => w.close())

const now = () => new Date(w.app.clock.now())

async function issued() {
  return receiveCredential(w, (await createOffer(w, await submitSubject(w))).offerUri)
}

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
