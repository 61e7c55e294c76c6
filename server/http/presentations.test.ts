import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import { presentSdJwtVc, type ClaimPath } from '../../credentials/index.ts'
import { createApiClient } from '../clients/index.ts'
import { rotateKeys } from '../keys/index.ts'
import { STATUS_LIST_TTL_SECONDS } from '../kyc/index.ts'
import { TestClient } from '../testing/index.ts'
import { issuedToHolder, type KycWorld, relyingApp, startKycWorld } from '../testing/kycHarness.ts'

// A relying app checks a holder's presentation of a credential Sigil issued, under the app's disclosure policy.
let w: KycWorld
let app: Record<string, string>
let appId: string
before(async () => {
  w = await startKycWorld()
  ;({ headers: app, id: appId } = await relyingApp(w))
})
after(() => w.close())

const NONCE = 'nonce-0123456789abcdef'
const now = () => new Date(w.app.clock.now())
const verify = (body: Record<string, unknown>) => new TestClient(w.app.url).post('/v1/presentations/verify', body, app)

const issued = () => issuedToHolder(w)
function present(c: Awaited<ReturnType<typeof issued>>, disclose: ClaimPath[], nonce = NONCE, audience = appId) {
  return presentSdJwtVc(c.credential, { disclose, keyBinding: { holder: c.holder.signer, nonce, audience, now: now() } })
}

test('over 18 and sanctions screened: verified, and only those claims come back', async () => {
  const c = await issued()
  const r = await verify({ presentation: await present(c, [['age_equal_or_over', '18'], ['sanctions_screened']]), nonce: NONCE,
    claims: ['age_equal_or_over.18', 'sanctions_screened'] })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.deepEqual(r.body.claims, { age_equal_or_over: { 18: true }, sanctions_screened: true })
  assert.equal(r.body.status, 'valid')
  assert.ok(!JSON.stringify(r.body).includes('family_name'))
})

test('a holder who withholds a claim that was asked for is refused, not "verified" with fewer claims; the answer is not kept', async () => {
  const c = await issued()
  const r = await verify({ presentation: await present(c, [['sanctions_screened']]), nonce: NONCE, claims: ['age_equal_or_over.18', 'sanctions_screened'] })
  assert.equal(r.status, 422)
  assert.equal(r.body.code, 'presentation_invalid')
  assert.equal(r.body.reason, 'claims_missing')
  // With an Idempotency-Key, a verified answer (the holder's claims) is not stored for replay.
  const headers = { ...app, 'idempotency-key': 'verify-once-1' }
  const body = { presentation: await present(c, [['age_equal_or_over', '18'], ['sanctions_screened']]), nonce: NONCE, claims: ['age_equal_or_over.18', 'sanctions_screened'] }
  assert.equal((await new TestClient(w.app.url).post('/v1/presentations/verify', body, headers)).status, 200)
  const again = await new TestClient(w.app.url).post('/v1/presentations/verify', body, headers)
  assert.equal(again.body.code, 'idempotency_replay_unavailable')
})

test('asking for more than the disclosure policy allows is refused (403) and audited', async () => {
  const c = await issued()
  const r = await verify({ presentation: await present(c, [['family_name']]), nonce: NONCE, claims: ['family_name'] })
  assert.equal(r.status, 403)
  assert.equal(r.body.code, 'disclosure_forbidden')
  assert.equal(r.body.field, 'claims')
  const audit = await w.app.deps.store.audit.list({ limit: 10_000 })
  assert.ok(audit.some((e) => e.type === 'presentation.disclosure_refused' && e.actor === appId))
})

test('a disclosure beyond the request, a wrong nonce or audience, a tampered presentation, a revoked credential: refused', async () => {
  const c = await issued()
  const extra = await verify({ presentation: await present(c, [['age_equal_or_over', '18'], ['pep_screened']]), nonce: NONCE, claims: ['age_equal_or_over.18'] })
  assert.equal(extra.status, 422)
  assert.equal(extra.body.reason, 'claims_not_requested')
  const ok = await present(c, [['sanctions_screened']])
  assert.equal((await verify({ presentation: ok, nonce: 'another-nonce-0123456', claims: ['sanctions_screened'] })).body.reason, 'nonce_mismatch')
  assert.equal((await verify({ presentation: await present(c, [['sanctions_screened']], NONCE, 'someone-else'), nonce: NONCE,
    claims: ['sanctions_screened'] })).body.reason, 'audience_mismatch')
  // The issuer's signature changed in the middle, and a key-binding JWT made afresh over the tampered SD-JWT (so its
  // sd_hash matches): only the issuer signature check can refuse it.
  const [jwt, ...rest] = c.credential.split('~')
  const at = jwt!.length - 20
  const forged = [jwt!.slice(0, at) + (jwt![at] === 'A' ? 'B' : 'A') + jwt!.slice(at + 1), ...rest].join('~')
  const tampered = await presentSdJwtVc(forged, { disclose: [['sanctions_screened']], keyBinding: { holder: c.holder.signer, nonce: NONCE, audience: appId, now: now() } })
  const refused = await verify({ presentation: tampered, nonce: NONCE, claims: ['sanctions_screened'] })
  assert.equal(refused.status, 422)
  assert.equal(refused.body.reason, 'signature_invalid')

  const audit = await w.app.deps.store.audit.list({ limit: 10_000 })
  const ids = audit.filter((e) => e.type === 'kyc.credential_issued').map((e) => e.subject)
  const hash = createHash('sha256').update(c.credential).digest('base64url')
  const recs = await Promise.all(ids.map((id) => w.app.deps.store.kyc.getCredential(id)))
  const id = recs.find((r) => r?.credentialHash === hash)!.id
  assert.equal((await w.officer.post(`/v1/kyc/credentials/${id}/revoke`, { reason: 'test' })).status, 200)
  // An earlier test verified against list 1, which stays cached for its ttl; the revocation counts at once all the
  // same (Sigil reads its own record behind the status entry), and still once the cached list has expired.
  const revokedNow = await verify({ presentation: await present(c, [['sanctions_screened']]), nonce: NONCE, claims: ['sanctions_screened'] })
  assert.equal(revokedNow.body.reason, 'credential_revoked')
  w.app.clock.advance((STATUS_LIST_TTL_SECONDS + 1) * 1000)
  const revoked = await verify({ presentation: await present(c, [['sanctions_screened']]), nonce: NONCE, claims: ['sanctions_screened'] })
  assert.equal(revoked.status, 422)
  assert.equal(revoked.body.reason, 'credential_revoked')
})

test('bad input and the wrong role', async () => {
  const bad = await verify({ presentation: 'x', nonce: NONCE, claims: ['Given Name'] })
  assert.equal(bad.status, 400)
  assert.equal(bad.body.code, 'request_invalid')
  const wallet = await createApiClient(w.app.deps.store, 'wallet', ['wallet-backend'], Date.now())
  const r = await new TestClient(w.app.url).post('/v1/presentations/verify', { presentation: 'a'.repeat(20), nonce: NONCE, claims: ['kyc_level'] },
    { authorization: `Bearer ${wallet.key}` })
  assert.equal(r.body.code, 'client_role_forbidden')
})

test('OpenID4VP: a signed request with a DCQL query, the wallet posts vp_token (direct_post), the app reads the result once', async () => {
  const created = await new TestClient(w.app.url).post('/v1/presentations/requests', { claims: ['age_equal_or_over.18', 'sanctions_screened'] }, app)
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.match(created.body.deepLink, /^openid4vp:\/\/\?client_id=decentralized_identifier%3Adid%3Aweb%3A/)
  assert.match(created.body.qrSvg, /^<svg/)
  // The wallet checks the request object's signature with the verifier's DID key.
  const { jwtVerify, importJWK, decodeProtectedHeader } = await import('jose')
  const header = decodeProtectedHeader(created.body.request)
  assert.equal(header.typ, 'oauth-authz-req+jwt')
  const did = await (await w.fetch('https://issuer.test/.well-known/did.json')).json()
  const vm = did.verificationMethod.find((m: { id: string }) => m.id === header.kid)
  const { payload } = await jwtVerify(created.body.request, await importJWK(vm.publicKeyJwk, 'ES256'),
    { algorithms: ['ES256'], typ: 'oauth-authz-req+jwt', currentDate: now() })
  assert.equal(payload.response_mode, 'direct_post')
  assert.deepEqual((payload.dcql_query as any).credentials[0].claims.map((c: { path: string[] }) => c.path), [['age_equal_or_over', '18'], ['sanctions_screened']])
  const responseUri = String(payload.response_uri).replace('https://issuer.test', w.app.url)

  const c = await issued()
  const vp = await presentSdJwtVc(c.credential, { disclose: [['age_equal_or_over', '18'], ['sanctions_screened']],
    keyBinding: { holder: c.holder.signer, nonce: String(payload.nonce), audience: String(payload.client_id), now: now() } })
  const post = (body: Record<string, string>) => fetch(responseUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) })
  assert.equal((await new TestClient(w.app.url).get(`/v1/presentations/requests/${created.body.id}`, app)).body.status, 'pending')
  const answer = await post({ vp_token: JSON.stringify({ kyc: [vp] }), state: String(payload.state) })
  assert.equal(answer.status, 200, await answer.clone().text())
  const replay = await post({ vp_token: JSON.stringify({ kyc: [vp] }), state: String(payload.state) })
  assert.equal(replay.status, 400, 'a request is answered once')
  // A HEAD (a link checker, a proxy) must not spend the read-once result: refused on the API.
  const head = await new TestClient(w.app.url).request('HEAD', `/v1/presentations/requests/${created.body.id}`, undefined, app)
  assert.equal(head.status, 405)
  assert.equal(head.headers.get('allow'), 'GET')
  const result = await new TestClient(w.app.url).get(`/v1/presentations/requests/${created.body.id}`, app)
  assert.deepEqual(result.body, { id: created.body.id, status: 'verified', claims: { age_equal_or_over: { 18: true }, sanctions_screened: true } })
  assert.equal((await new TestClient(w.app.url).get(`/v1/presentations/requests/${created.body.id}`, app)).body.status, 'pending', 'deleted after reading')
})

test('OpenID4VP: a presentation for another request (wrong nonce) fails and the app learns why; a forbidden ask is refused up front', async () => {
  const a = (await new TestClient(w.app.url).post('/v1/presentations/requests', { claims: ['sanctions_screened'] }, app)).body
  const c = await issued()
  const vp = await presentSdJwtVc(c.credential, { disclose: [['sanctions_screened']],
    keyBinding: { holder: c.holder.signer, nonce: 'not-the-request-nonce', audience: 'x', now: now() } })
  const r = await fetch(`${w.app.url}/v1/presentations/responses/${a.id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ vp_token: JSON.stringify({ kyc: vp }) }) })
  assert.equal(r.status, 422)
  const result = (await new TestClient(w.app.url).get(`/v1/presentations/requests/${a.id}`, app)).body
  assert.equal(result.status, 'failed')
  assert.equal(result.reason, 'nonce_mismatch')
  const forbidden = await new TestClient(w.app.url).post('/v1/presentations/requests', { claims: ['birthdate'] }, app)
  assert.equal(forbidden.status, 403)
  assert.equal(forbidden.body.code, 'disclosure_forbidden')
})

test('a key rotation leaves issued credentials verifiable: the retired key stays in did.json for a credential lifetime', async () => {
  const c = await issued()
  const { kid: oldKid } = w.app.deps.keys.signer()
  await rotateKeys(w.app.deps.config.dataDir, w.app.clock.now(), 600)
  await w.app.deps.keys.refresh()
  w.app.clock.advance(24 * 3600_000) // far past the access-token retention (600 s here): the JWKS has dropped the old key
  assert.ok(!w.app.deps.keys.jwks().keys.some((k) => k.kid === oldKid))
  const did = await (await w.fetch('https://issuer.test/.well-known/did.json')).json()
  assert.ok(did.verificationMethod.some((m: { id: string }) => m.id.endsWith(`#${oldKid}`)), 'did.json still lists the key that signed it')
  const r = await verify({ presentation: await present(c, [['sanctions_screened']]), nonce: NONCE, claims: ['sanctions_screened'] })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.equal(r.body.claims.sanctions_screened, true)
})
