import assert from 'node:assert/strict'
import { test } from 'node:test'
import { presentSdJwtVc } from '../../credentials/index.ts'
import { rotateKeys } from '../keys/index.ts'
import { startTestApp, TestClient } from '../testing/index.ts'
import { ISSUER, issuedToHolder, relyingApp, startKycWorld } from '../testing/kycHarness.ts'

test('a credential signed with a key another instance rotated to a moment ago verifies here: the key file is re-read once', async () => {
  const w = await startKycWorld()
  // Instance B: the same store, key directory and public URL, behind the same load balancer.
  const b = await startTestApp({ store: w.app.deps.store, keepStore: true, keysDir: w.app.deps.config.dataDir, clock: w.app.clock, env: { SIGIL_PUBLIC_URL: ISSUER } })
  try {
    const app = await relyingApp(w)
    await new Promise((r) => setTimeout(r, 10)) // a new mtime
    await rotateKeys(w.app.deps.config.dataDir, w.app.clock.now(), 600, { activationDelaySeconds: 0 })
    await w.app.deps.keys.refresh() // A has read the new key (its 30 s refresh, or a did.json request); B has not
    const old = b.deps.keys.signer().kid
    assert.notEqual(w.app.deps.keys.signer().kid, old)
    const c = await issuedToHolder(w)
    const nonce = 'nonce-0123456789abcdef'
    const presentation = await presentSdJwtVc(c.credential, { disclose: [['sanctions_screened']],
      keyBinding: { holder: c.holder.signer, nonce, audience: app.id, now: new Date(w.app.clock.now()) } })
    const r = await new TestClient(b.url).post('/v1/presentations/verify', { presentation, nonce, claims: ['sanctions_screened'] }, app.headers)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.deepEqual(r.body.claims, { sanctions_screened: true })
    assert.notEqual(b.deps.keys.signer().kid, old, 'B read the new key set')
  } finally {
    await b.close()
    await w.close()
  }
})
