import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import {
  CredentialError, createResolver, kycVct, presentSdJwtVc, verifyPresentation, type ClaimPath, type Signer, type VerifyPresentationOptions,
} from '../../credentials/index.ts'
import { TestClient } from '../testing/index.ts'
import { issuedToHolder, ISSUER, type KycWorld, receiveCredential, relyingApp, startKycWorld } from '../testing/kycHarness.ts'

// The same presentations through the server (POST /v1/presentations/verify) and through the offline verifier a
// relying app imports (verifyPresentation, with the issuer's did.json and status list fetched over HTTP): every
// case gets the same outcome and the same reason from both.
let w: KycWorld
let app: Record<string, string>
let appId: string
type Holder = Awaited<ReturnType<typeof receiveCredential>>
let alice: Holder
let bob: Holder
let revoked: Holder

const issued = () => issuedToHolder(w)

before(async () => {
  w = await startKycWorld()
  ;({ headers: app, id: appId } = await relyingApp(w))
  ;[alice, bob, revoked] = [await issued(), await issued(), await issued()]
  // Revoked before anything is verified here, so neither verifier holds an older copy of the list.
  const hash = createHash('sha256').update(revoked.credential).digest('base64url')
  const ids = (await w.app.deps.store.audit.list({ limit: 10_000 })).filter((e) => e.type === 'kyc.credential_issued').map((e) => e.subject)
  const records = await Promise.all(ids.map((id) => w.app.deps.store.kyc.getCredential(id)))
  const id = records.find((r) => r?.credentialHash === hash)!.id
  assert.equal((await w.officer.post(`/v1/kyc/credentials/${id}/revoke`, { reason: 'test' })).status, 200)
})
after(() => w.close())

const now = () => new Date(w.app.clock.now())
const NONCE = 'agreement-nonce-0123456789'
const ASKED = ['age_equal_or_over.18', 'sanctions_screened']
const ASKED_PATHS: ClaimPath[] = [['age_equal_or_over', '18'], ['sanctions_screened']]

interface Case {
  name: string
  /** Builds the presentation the verifier receives. */
  make: () => Promise<string>
  /** `ok`, or the reason code both must give. */
  expect: string
}

const present = (h: Holder, o: { disclose?: ClaimPath[]; nonce?: string; audience?: string; at?: Date; signer?: Signer } = {}) =>
  presentSdJwtVc(h.credential, { disclose: o.disclose ?? ASKED_PATHS,
    keyBinding: { holder: o.signer ?? h.holder.signer, nonce: o.nonce ?? NONCE, audience: o.audience ?? appId, now: o.at ?? now() } })

const cases: Case[] = [
  { name: 'a fresh, bound presentation of the asked claims', make: () => present(alice), expect: 'ok' },
  { name: 'a replayed response (the answer to an earlier request, with its nonce)', make: () => present(alice, { nonce: 'earlier-request-nonce-0123' }), expect: 'nonce_mismatch' },
  { name: 'a wrong nonce', make: () => present(alice, { nonce: 'x'.repeat(20) }), expect: 'nonce_mismatch' },
  { name: 'a wrong aud', make: () => present(alice, { audience: 'https://another-verifier.example' }), expect: 'audience_mismatch' },
  { name: 'a revoked credential', make: () => present(revoked), expect: 'credential_revoked' },
  { name: 'a stale KB-JWT (10 minutes old)', make: () => present(alice, { at: new Date(now().getTime() - 600_000) }), expect: 'kb_jwt_stale' },
  { name: 'an extra disclosed claim', make: () => present(alice, { disclose: [...ASKED_PATHS, ['pep_screened']] }), expect: 'claims_not_requested' },
  { name: 'another holder\'s key signs the KB-JWT', make: () => present(alice, { signer: bob.holder.signer }), expect: 'kb_jwt_invalid' },
  {
    name: 'an issuer signature that does not verify',
    make: async () => {
      const [jwt, ...rest] = (await present(alice)).split('~')
      const [h, p, s] = jwt!.split('.')
      return [`${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`, ...rest].join('~')
    },
    expect: 'signature_invalid',
  },
]

// The relying app's own setup: it trusts Sigil's DID for the KYC vct, resolves did:web and fetches status lists itself.
const trustedIssuers = [{ issuer: `did:web:${new URL(ISSUER).host}`, vcts: [kycVct(ISSUER)] }]
const offline = (): Omit<VerifyPresentationOptions, 'now'> => ({
  trustedIssuers,
  resolver: resolver ??= createResolver({ fetch: w.fetch }),
  fetchStatusList: fetchStatusList ??= async (uri: string) => {
    const r = await w.fetch(uri)
    if (r.status !== 200) throw new Error(`status list ${r.status}`)
    return r.text()
  },
  expectedNonce: NONCE, expectedAudience: appId, expectedVct: kycVct(ISSUER), expectedClaims: ASKED_PATHS,
})
let resolver: ReturnType<typeof createResolver> | undefined
let fetchStatusList: ((uri: string) => Promise<string>) | undefined

for (const c of cases) {
  test(`server and offline verifier agree: ${c.name} → ${c.expect}`, async () => {
    const presentation = await c.make()
    const server = await new TestClient(w.app.url).post('/v1/presentations/verify', { presentation, nonce: NONCE, claims: ASKED }, app)
    const serverOutcome = server.status === 200 ? 'ok' : server.status === 422 ? String(server.body.reason) : `http ${server.status} ${server.body.code}`
    let offlineOutcome: string
    try {
      const r = await verifyPresentation(presentation, { ...offline(), now: now() })
      assert.deepEqual(r.claims.age_equal_or_over, { 18: true })
      offlineOutcome = 'ok'
    } catch (err) {
      if (!(err instanceof CredentialError)) throw err
      offlineOutcome = err.code
    }
    assert.equal(serverOutcome, c.expect, `server: ${JSON.stringify(server.body)}`)
    assert.equal(offlineOutcome, c.expect, 'offline verifier')
    if (c.expect === 'ok') assert.deepEqual(server.body.claims, { age_equal_or_over: { 18: true }, sanctions_screened: true })
  })
}

test('a replayed response to the server\'s own request flow is refused: the request is answered once', async () => {
  const created = (await new TestClient(w.app.url).post('/v1/presentations/requests', { claims: ASKED }, app)).body
  const p = JSON.parse(Buffer.from(created.request.split('.')[1], 'base64url').toString())
  const vp = await present(alice, { nonce: p.nonce, audience: p.client_id })
  const post = () => fetch(`${w.app.url}/v1/presentations/responses/${created.id}`, { method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ vp_token: JSON.stringify({ kyc: [vp] }), state: p.state }) })
  assert.equal((await post()).status, 200)
  const replay = await post()
  assert.equal(replay.status, 400)
  assert.equal((await replay.json()).code, 'presentation_request_unknown')
  // Offline, the same presentation against the nonce of a new request: refused for the nonce.
  await assert.rejects(verifyPresentation(vp, { ...offline(), expectedNonce: 'a-new-request-nonce-01234', expectedAudience: p.client_id, now: now() }),
    { code: 'nonce_mismatch' })
})
