import assert from 'node:assert/strict'
import { test } from 'node:test'
import { presentSdJwtVc } from '../../credentials/index.ts'
import { rotateKeys } from '../keys/index.ts'
import { createSoftAuthenticator, signUp, startTestApp, TestClient } from '../testing/index.ts'
import { createOffer, ISSUER, receiveCredential, startKycWorld, submitSubject } from '../testing/kycHarness.ts'

test('recovery by a credential signed with a key another instance rotated to a moment ago: the key file is re-read once', async () => {
  const w = await startKycWorld()
  // Instance B: the same store, key directory and public URL, behind the same load balancer.
  const b = await startTestApp({ store: w.app.deps.store, keepStore: true, keysDir: w.app.deps.config.dataDir, clock: w.app.clock, env: { SIGIL_PUBLIC_URL: ISSUER } })
  try {
    await new Promise((r) => setTimeout(r, 10)) // a new mtime
    await rotateKeys(w.app.deps.config.dataDir, w.app.clock.now(), 600, { activationDelaySeconds: 0 })
    await w.app.deps.keys.refresh() // A has read the new key; B has not
    // The credential is collected by Alice's signed-in browser on A, so it is linked to her account.
    const alice = new TestClient(w.app.url)
    await signUp(alice, createSoftAuthenticator(), 'alice')
    const withSession: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers)
      headers.set('cookie', alice.cookie!)
      headers.set('origin', alice.origin)
      return w.fetch(input, { ...init, headers })
    }
    const held = await receiveCredential({ ...w, fetch: withSession }, (await createOffer(w, await submitSubject(w))).offerUri)
    const phone = new TestClient(b.url)
    const o = (await phone.post('/v1/recovery/credential/options', {})).body as { nonce: string; audience: string }
    const presentation = await presentSdJwtVc(held.credential, { disclose: [],
      keyBinding: { holder: held.holder.signer, nonce: o.nonce, audience: o.audience, now: new Date(w.app.clock.now()) } })
    const r = await phone.post('/v1/recovery/credential/verify', { handle: 'alice', nonce: o.nonce, presentation })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.session.kind, 'recovery')
  } finally {
    await b.close()
    await w.close()
  }
})
