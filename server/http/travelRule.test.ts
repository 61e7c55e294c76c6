import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import canonicalize from 'canonicalize'
import { decodeJwt } from 'jose'
import { createResolver, presentSdJwtVc, type ClaimPath } from '../../credentials/index.ts'
import { DEFAULT_POLICY_DIR, loadPolicies, validatePolicySet } from '../../policies/index.ts'
import { engineFromText, shippedSchema } from '../../policies/testing.ts'
import { policySourceFor, verifyEvidence } from '../approvals/index.ts'
import { createApiClient } from '../clients/index.ts'
import { openSqliteStore, type OutboxEvent } from '../store/index.ts'
import { approveRequest, createSoftAuthenticator, signUp, startTestApp, TestClient, type SoftAuthenticator, type TestApp } from '../testing/index.ts'
import { createOffer, ISSUER, KYC_DATA, receiveCredential, submitSubject, type KycWorld } from '../testing/kycHarness.ts'

// Travel Rule hook (issue 8): with travelRule.cedar.example in force, a transfer over the threshold to a destination
// not on the allowlist needs a verified KYC presentation from the beneficiary, linked to the approval request, before
// it is approved; travelRuleBlock.cedar.example blocks such a transfer instead. Real SQLite, real signatures, and the
// beneficiary's credential issued over OpenID4VCI by an independent wallet library.

const DEST = '0x52908400098527886E0F7030069857D2E4169EE7'
const intent = (over: Record<string, unknown> = {}) => ({ chain: 'ethereum', asset: 'usdc', amount: '5000', source: { walletId: 'hot-1' }, destination: DEST, ...over })
const example = (name: string) => readFileSync(join(DEFAULT_POLICY_DIR, 'approval', name), 'utf8')

interface World extends KycWorld {
  wallet: Record<string, string>; signer: Record<string, string>; signerId: string; alice: { client: TestClient; auth: SoftAuthenticator }
  /** Every event handed to the store with an approval update (the dispatcher drains the outbox itself). */
  events: OutboxEvent[]
}

/** A Sigil whose active policy set is the shipped one plus `extra`, with a KYC issuer, a wallet backend, a signer and an approver. */
async function startWorld(extra: string): Promise<World> {
  let t = Date.now() // jose's default clock, in the wallet library, meets this one
  const shipped = await loadPolicies()
  const engine = engineFromText([...Object.values(shipped.texts.policies), extra].join('\n'))
  const store = openSqliteStore({ path: ':memory:' })
  const events: OutboxEvent[] = []
  const update = store.approvals.update.bind(store.approvals)
  store.approvals.update = async (next, es, audit) => { const ok = await update(next, es, audit); if (ok) events.push(...(es ?? [])); return ok }
  assert.equal(await store.policySets.activate({ version: engine.version, texts: engine.texts, activatedAt: t, approvalId: null }, null), true)
  const app: TestApp = await startTestApp({ clock: { now: () => t, advance: (ms) => { t += ms } }, env: { SIGIL_PUBLIC_URL: ISSUER }, store })
  const officer = new TestClient(app.url)
  await app.deps.store.users.setRoles((await signUp(officer, createSoftAuthenticator({ attestation: 'packed-self' }), 'officer')).user.id, ['compliance'])
  const vendor = await createApiClient(app.deps.store, 'vendor', ['kyc-vendor'], t)
  const wallet = await createApiClient(app.deps.store, 'wallet', ['wallet-backend'], t)
  const signer = await createApiClient(app.deps.store, 'signer', ['signing-service'], t)
  const alice = { client: new TestClient(app.url), auth: createSoftAuthenticator() }
  // treasury and risk: one approval meets the requirements whatever the hour (outside business hours risk is asked too).
  await app.deps.store.users.setRoles((await signUp(alice.client, alice.auth, 'alice')).user.id, ['treasury', 'risk'])
  const rewrite: typeof fetch = (input, init) => fetch(String(input instanceof Request ? input.url : input).replace(ISSUER, app.url), init)
  return { app, officer, vendorKey: vendor.key, fetch: rewrite, resolver: createResolver({ fetch: rewrite }), close: () => app.close(),
    wallet: { authorization: `Bearer ${wallet.key}` }, signer: { authorization: `Bearer ${signer.key}` }, signerId: signer.client.id, alice, events }
}

let w: World
let blocking: World
before(async () => {
  w = await startWorld(example('travelRule.cedar.example'))
  blocking = await startWorld(example('travelRuleBlock.cedar.example'))
})
after(async () => { await Promise.all([w?.close(), blocking?.close()]) })

const api = (world: World = w) => new TestClient(world.app.url)
async function create(over: Record<string, unknown> = {}, world: World = w) {
  const r = await api(world).post('/v1/approvals', { intent: intent(over), signer: world.signerId }, world.wallet)
  assert.equal(r.status, 201, JSON.stringify(r.body))
  return r.body
}
const approve = (id: string) => approveRequest(w.alice, id)
const view = async (id: string) => (await api().get(`/v1/approvals/${id}`, w.wallet)).body
const token = (id: string) => api().get(`/v1/approvals/${id}/token`, w.wallet)

/** The wallet backend asks for the beneficiary's presentation; returns the request and what its signed object says. */
async function askBeneficiary(id: string) {
  const r = await api().post(`/v1/approvals/${id}/beneficiary-presentation`, {}, w.wallet)
  assert.equal(r.status, 201, JSON.stringify(r.body))
  const payload = decodeJwt(r.body.request)
  return { ...r.body, payload, responseUri: String(payload.response_uri).replace(ISSUER, w.app.url) }
}

const issued = async (data: Record<string, unknown> = KYC_DATA) => receiveCredential(w, (await createOffer(w, await submitSubject(w, data))).offerUri)
const DISCLOSE: ClaimPath[] = [['given_name'], ['family_name'], ['sanctions_screened']]
function present(c: Awaited<ReturnType<typeof issued>>, nonce: string, audience: string) {
  return presentSdJwtVc(c.credential, { disclose: DISCLOSE, keyBinding: { holder: c.holder.signer, nonce, audience, now: new Date(w.app.clock.now()) } })
}
async function answer(req: Awaited<ReturnType<typeof askBeneficiary>>, vp: string) {
  const r = await fetch(req.responseUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ vp_token: JSON.stringify({ kyc: [vp] }), state: String(req.payload.state) }) })
  return { status: r.status, body: await r.json() as Record<string, any> }
}
const beneficiaryKyc = (v: any) => v.conditions.find((c: any) => c.kind === 'beneficiary_kyc')
/** The condition's last failure without its time, which is the test clock's. */
const lastFailure = (v: any) => {
  const f = beneficiaryKyc(v).lastFailure
  if (!f) return undefined
  assert.ok(!Number.isNaN(Date.parse(f.at)))
  return { reason: f.reason, presentationRequestId: f.presentationRequestId }
}

async function credentialId(c: Awaited<ReturnType<typeof issued>>) {
  const hash = createHash('sha256').update(c.credential).digest('base64url')
  const ids = (await w.app.deps.store.audit.list({ limit: 10_000 })).filter((e) => e.type === 'kyc.credential_issued').map((e) => e.subject)
  for (const id of ids) if ((await w.app.deps.store.kyc.getCredential(id))?.credentialHash === hash) return id
  throw new Error('credential not found')
}

test('Travel Rule: over the threshold to an external destination it stays pending, quorum alone gives no token, the beneficiary presents and it is approved', async () => {
  const a = await create()
  assert.equal(a.status, 'pending')
  assert.deepEqual(a.conditions.map((c: any) => [c.kind, c.met]), [['beneficiary_kyc', false]])
  assert.match(beneficiaryKyc(a).reasons[0], /Travel Rule/)

  const approved = await approve(a.id)
  assert.equal(approved.status, 'pending', 'the quorum is met but the beneficiary is not verified')
  assert.equal(approved.requirements[0].missing, 0)
  const early = await token(a.id)
  assert.equal(early.status, 409)
  assert.equal(early.body.code, 'approval_not_approved')

  const req = await askBeneficiary(a.id)
  assert.equal(req.approvalId, a.id)
  assert.match(req.deepLink, /^openid4vp:\/\//)
  assert.match(req.qrSvg, /^<svg/)
  assert.deepEqual((req.payload.dcql_query as any).credentials[0].claims.map((c: { path: string[] }) => c.path.join('.')),
    ['kyc_level', 'sanctions_screened', 'given_name', 'family_name'], 'the Travel Rule claims, fixed by Sigil: no birth date, no address')
  const c = await issued()
  const posted = await answer(req, await present(c, String(req.payload.nonce), String(req.payload.client_id)))
  assert.equal(posted.status, 200, JSON.stringify(posted.body))

  const done = await view(a.id)
  assert.equal(done.status, 'approved')
  const cond = beneficiaryKyc(done)
  assert.equal(cond.met, true)
  assert.equal(cond.verification.presentationRequestId, req.id)
  assert.match(cond.verification.issuer, /^did:web:/)
  const claims = { family_name: 'Mustermann', given_name: 'Erika', kyc_level: 'standard', sanctions_screened: true }
  // A guessed name cannot be confirmed from the digest that events, the audit log and evidence carry: it is salted,
  // and the salt stays with the claims on the record (which opens the commitment for whoever holds the record).
  assert.notEqual(cond.verification.claimsDigest, `sha256:${createHash('sha256').update(canonicalize(claims)!).digest('hex')}`)
  const stored = (await w.app.deps.store.approvals.get(a.id))!.beneficiary!
  assert.match(stored.claimsSalt!, /^[A-Za-z0-9_-]{22}$/)
  assert.equal(cond.verification.claimsDigest, `sha256:${createHash('sha256').update(canonicalize({ claims, salt: stored.claimsSalt })!).digest('hex')}`)
  assert.ok(!JSON.stringify(done).includes('Mustermann'), 'the view links the presentation but shows no personal data')
  assert.ok(!JSON.stringify(done).includes(stored.claimsSalt!), 'nor the salt')
  assert.deepEqual(stored.claims, claims, 'the name the originator must hold stays with the request')

  const tok = await token(a.id)
  assert.equal(tok.status, 200, JSON.stringify(tok.body))
  assert.equal((await api().post(`/v1/approvals/${a.id}/redeem`, { token: tok.body.token }, w.signer)).status, 200)
  const audit = await w.app.deps.store.audit.list({ limit: 10_000 })
  assert.ok(audit.some((e) => e.type === 'approval.beneficiary_verified' && e.subject === a.id))
  assert.ok(!JSON.stringify(audit).includes('Mustermann'), 'no personal data in the audit log')
  const mine = w.events.filter((e) => e.subject === a.id).map((e) => e.type)
  assert.deepEqual(mine.slice(0, 2), ['approval.decision', 'approval.beneficiary_verified'])
  assert.ok(mine.includes('approval.approved'))
  assert.ok(!JSON.stringify(w.events).includes('Mustermann'), 'no personal data in events')
})

test('Travel Rule: the beneficiary first, then the quorum: approved with the last approval; a second presentation is refused', async () => {
  const a = await create({ amount: '2500.5' })
  const c = await issued()
  const req = await askBeneficiary(a.id)
  assert.equal((await answer(req, await present(c, String(req.payload.nonce), String(req.payload.client_id)))).status, 200)
  const half = await view(a.id)
  assert.equal(half.status, 'pending', 'verified beneficiary, but nobody approved yet')
  assert.equal(beneficiaryKyc(half).met, true)
  const again = await api().post(`/v1/approvals/${a.id}/beneficiary-presentation`, {}, w.wallet)
  assert.equal(again.status, 409)
  assert.equal(again.body.code, 'beneficiary_kyc_already_verified')
  assert.equal((await approve(a.id)).status, 'approved')
  assert.equal((await token(a.id)).status, 200)
})

test('Travel Rule: below the threshold, or to an allowlisted destination, it is not required; an evaluation error still denies', async () => {
  const small = await create({ amount: '1000' })
  assert.equal(small.status, 'pending')
  assert.deepEqual(small.conditions, [])
  const refused = await api().post(`/v1/approvals/${small.id}/beneficiary-presentation`, {}, w.wallet)
  assert.equal(refused.status, 409)
  assert.equal(refused.body.code, 'beneficiary_kyc_not_required')
  assert.equal((await approve(small.id)).status, 'approved')
  assert.equal((await token(small.id)).status, 200)

  // No address book yet: the allowlist is a decision input, so the policy is asked directly.
  const engine = await policySourceFor(w.app.deps.store).current()
  const input = { intent: intent(), requester: { type: 'apiClient' as const, id: 'wallet' }, now: new Date(w.app.clock.now()) }
  const kinds = (d: ReturnType<typeof engine.evaluateApproval>) => (d.outcome === 'approval_required' ? d.conditions.map((c) => c.kind) : d.outcome)
  assert.deepEqual(kinds(engine.evaluateApproval(input)), ['beneficiary_kyc'])
  assert.deepEqual(kinds(engine.evaluateApproval({ ...input, destinationAllowlisted: true })), [])
  assert.deepEqual(kinds(engine.evaluateApproval({ ...input, beneficiaryVerified: true })), [])
  assert.deepEqual(kinds(engine.evaluateApproval({ ...input, intent: intent({ asset: 'eth', amount: '0.25' }) })), [])
  assert.deepEqual(kinds(engine.evaluateApproval({ ...input, intent: intent({ asset: 'eth', amount: '0.2501' }) })), ['beneficiary_kyc'])
  assert.deepEqual(kinds(engine.evaluateApproval({ ...input, intent: intent({ asset: 'pepe', amount: '1' }) })), ['beneficiary_kyc'], 'an unlisted asset always')
  const broken = engine.evaluateApproval({ ...input, beneficiaryVerified: 'yes' as unknown as boolean })
  assert.equal(broken.outcome, 'blocked')
  assert.equal(broken.outcome === 'blocked' && broken.blocks[0]!.code, 'policy_evaluation_error')
})

test('Travel Rule, blocking variant: over the threshold to an external destination the request is blocked; below it, pending', async () => {
  const a = await create({}, blocking)
  assert.equal(a.status, 'blocked')
  assert.deepEqual(a.blocks.map((b: any) => b.policyId), ['travel-rule-beneficiary-block'])
  assert.match(a.blocks[0].reason, /Travel Rule/)
  const r = await api(blocking).post(`/v1/approvals/${a.id}/beneficiary-presentation`, {}, blocking.wallet)
  assert.equal(r.status, 409)
  assert.equal(r.body.code, 'approval_not_pending')
  const small = await create({ amount: '999.99' }, blocking)
  assert.equal(small.status, 'pending')
  assert.deepEqual(small.conditions, [])
})

test('Travel Rule: a wrong nonce, another approval\'s request, an unscreened beneficiary or a revoked credential leaves it unmet', async () => {
  const a = await create()
  const b = await create({ amount: '7000' })
  await approve(a.id)
  const c = await issued()
  const reqA = await askBeneficiary(a.id)
  const reqB = await askBeneficiary(b.id)

  // Made for B's request, posted to A's: the key binding names B's nonce.
  const forB = await present(c, String(reqB.payload.nonce), String(reqB.payload.client_id))
  const crossed = await answer(reqA, forB)
  assert.equal(crossed.status, 422)
  assert.equal(crossed.body.reason, 'nonce_mismatch')
  assert.equal(beneficiaryKyc(await view(a.id)).met, false)
  assert.deepEqual(lastFailure(await view(a.id)), { reason: 'nonce_mismatch', presentationRequestId: reqA.id }, 'the approval says why it failed')
  assert.equal((await answer(reqA, forB)).status, 400, 'the request was used up by the failed answer')

  // B's own answer satisfies B, and only B.
  assert.equal((await answer(reqB, forB)).status, 200)
  assert.equal(beneficiaryKyc(await view(b.id)).met, true)
  assert.equal(beneficiaryKyc(await view(b.id)).lastFailure, undefined)
  assert.equal(beneficiaryKyc(await view(a.id)).met, false)
  const reqA2 = await askBeneficiary(a.id)
  assert.equal((await answer(reqA2, forB)).body.reason, 'nonce_mismatch', 'a presentation linked to another approval does not count here')

  const unscreened = await issued({ ...KYC_DATA, sanctions_screened: false })
  const reqA3 = await askBeneficiary(a.id)
  const notScreened = await answer(reqA3, await present(unscreened, String(reqA3.payload.nonce), String(reqA3.payload.client_id)))
  assert.equal(notScreened.status, 422)
  assert.equal(notScreened.body.reason, 'beneficiary_not_screened')
  assert.equal(lastFailure(await view(a.id))?.reason, 'beneficiary_not_screened')

  assert.equal((await w.officer.post(`/v1/kyc/credentials/${await credentialId(c)}/revoke`, { reason: 'test' })).status, 200)
  const reqA4 = await askBeneficiary(a.id)
  const revoked = await answer(reqA4, await present(c, String(reqA4.payload.nonce), String(reqA4.payload.client_id)))
  assert.equal(revoked.status, 422)
  assert.equal(revoked.body.reason, 'credential_revoked')

  const still = await view(a.id)
  assert.equal(still.status, 'pending')
  assert.equal(beneficiaryKyc(still).met, false)
  assert.deepEqual(lastFailure(still), { reason: 'credential_revoked', presentationRequestId: reqA4.id })
  assert.equal((await token(a.id)).body.code, 'approval_not_approved')
  const failed = (await w.app.deps.store.audit.list({ limit: 10_000 })).filter((e) => e.type === 'approval.beneficiary_failed' && e.subject === a.id)
  assert.deepEqual(failed.map((e) => e.data.reason), ['nonce_mismatch', 'nonce_mismatch', 'beneficiary_not_screened', 'credential_revoked'])
  assert.deepEqual(w.events.filter((e) => e.type === 'approval.beneficiary_failed' && e.subject === a.id).map((e) => e.data.reason),
    ['nonce_mismatch', 'nonce_mismatch', 'beneficiary_not_screened', 'credential_revoked'])
})

test('Travel Rule: only the request\'s wallet backend or approvers ask; bad input is a 400', async () => {
  const a = await create()
  const other = await api().post(`/v1/approvals/${a.id}/beneficiary-presentation`, {}, w.signer)
  assert.equal(other.status, 404)
  assert.equal(other.body.code, 'approval_not_found')
  assert.equal((await api().post('/v1/approvals/apr_nope/beneficiary-presentation', {}, w.wallet)).body.code, 'approval_not_found')
  const extra = await api().post(`/v1/approvals/${a.id}/beneficiary-presentation`, { claims: ['birthdate'] }, w.wallet)
  assert.equal(extra.status, 400)
  assert.equal(extra.body.code, 'request_invalid')
  assert.equal((await w.alice.client.get(`/v1/approvals/${a.id}`)).body.me.canAskBeneficiary, true, 'the page offers the approver to ask')
  assert.equal((await w.officer.get(`/v1/approvals/${a.id}`)).status, 404)
  const byApprover = await w.alice.client.post(`/v1/approvals/${a.id}/beneficiary-presentation`, {})
  assert.equal(byApprover.status, 201, JSON.stringify(byApprover.body))
  const small = await create({ amount: '10' })
  assert.equal((await w.alice.client.get(`/v1/approvals/${small.id}`)).body.me.canAskBeneficiary, false, 'no condition, nothing to ask')
})

test('Travel Rule policy annotations: @requirement names a known condition on a permit; a condition alone names no approvers and denies', () => {
  const schema = shippedSchema()
  const codes = (text: string) => { const r = validatePolicySet(text, schema); return r.valid ? [] : r.problems.map((p) => `${p.code}:${p.policyId}`) }
  const when = 'when { !context.beneficiaryVerified }'
  assert.deepEqual(codes(`@id("t") @requirement("beneficiary_kyc") permit (principal, action == Sigil::Action::"CreateTransfer", resource) ${when};`), [])
  assert.deepEqual(codes(`@id("t") @requirement("selfie") permit (principal, action == Sigil::Action::"CreateTransfer", resource) ${when};`), ['policy_annotation_invalid:t'])
  assert.deepEqual(codes(`@id("f") @reason("r") @requirement("beneficiary_kyc") forbid (principal, action == Sigil::Action::"CreateTransfer", resource) ${when};`),
    ['policy_annotation_invalid:f'])
  const alone = engineFromText(`@id("t") @requirement("beneficiary_kyc") permit (principal, action == Sigil::Action::"CreateTransfer", resource) ${when};`)
  const d = alone.evaluateApproval({ intent: intent(), requester: { type: 'apiClient', id: 'wallet' }, now: new Date() })
  assert.equal(d.outcome, 'blocked')
  assert.equal(d.outcome === 'blocked' && d.blocks[0]!.code, 'policy_evaluation_error')
})

test('Travel Rule: when the intent names the beneficiary, the disclosed name must be that name (any order, case, spacing, accents)', async () => {
  const c = await issued()
  for (const name of ['Erika Mustermann', '  MUSTERMANN    erika ', 'Érika Mustermänn', 'Ｅｒｉｋａ Mustermann']) {
    const a = await create({ beneficiary: { name, country: 'DE' } })
    const req = await askBeneficiary(a.id)
    const posted = await answer(req, await present(c, String(req.payload.nonce), String(req.payload.client_id)))
    assert.equal(posted.status, 200, `${name}: ${JSON.stringify(posted.body)}`)
    assert.equal(beneficiaryKyc(await view(a.id)).met, true, name)
  }

  const a = await create({ beneficiary: { name: 'Max Mustermann' } })
  await approve(a.id)
  const before = await w.app.deps.store.approvals.get(a.id)
  const req = await askBeneficiary(a.id)
  const posted = await answer(req, await present(c, String(req.payload.nonce), String(req.payload.client_id)))
  assert.equal(posted.status, 422)
  assert.equal(posted.body.reason, 'beneficiary_name_mismatch')
  const v = await view(a.id)
  assert.equal(v.status, 'pending', 'quorum met, but the beneficiary is not the one named')
  assert.equal(beneficiaryKyc(v).met, false)
  assert.deepEqual(lastFailure(v), { reason: 'beneficiary_name_mismatch', presentationRequestId: req.id })
  const rec = (await w.app.deps.store.approvals.get(a.id))!
  assert.equal(rec.version, before!.version + 1, 'recorded by one compare-and-set update')
  assert.equal(rec.beneficiary ?? null, null)
  assert.ok(!JSON.stringify(rec.beneficiaryFailure).includes('Erika'), 'the failure keeps no disclosed claim')
  const audit = (await w.app.deps.store.audit.list({ limit: 10_000 })).filter((e) => e.subject === a.id && e.type === 'approval.beneficiary_failed')
  assert.deepEqual(audit.map((e) => e.data), [{ presentationRequest: req.id, reason: 'beneficiary_name_mismatch' }])
  assert.equal((await token(a.id)).body.code, 'approval_not_approved')

  // Settled requests keep no later failure.
  const b = await create({ beneficiary: { name: 'Max Mustermann' } })
  const reqB = await askBeneficiary(b.id)
  const open = (await w.app.deps.store.approvals.get(b.id))!
  assert.equal(await w.app.deps.store.approvals.update({ ...open, status: 'rejected', settledAt: w.app.clock.now(), version: open.version + 1 }), true)
  assert.equal((await answer(reqB, await present(c, String(reqB.payload.nonce), String(reqB.payload.client_id)))).status, 422)
  assert.equal((await w.app.deps.store.approvals.get(b.id))!.beneficiaryFailure ?? null, null)
})

test('Travel Rule evidence: the bundle links the beneficiary (ids, issuer, claims digest, no name) and verifies only with it', async () => {
  const a = await create()
  await approve(a.id)
  const unmet = await api().get(`/v1/approvals/${a.id}/evidence`, w.wallet)
  assert.equal(unmet.status, 200)
  assert.equal(unmet.body.beneficiary, undefined)
  await assert.rejects(verifyEvidence(unmet.body), { code: 'evidence_condition_not_met' }, 'quorum met, beneficiary not verified: not approved')

  const req = await askBeneficiary(a.id)
  assert.equal((await answer(req, await present(await issued(), String(req.payload.nonce), String(req.payload.client_id)))).status, 200)
  const v = await view(a.id)
  assert.equal(v.status, 'approved')
  const bundle = (await api().get(`/v1/approvals/${a.id}/evidence`, w.wallet)).body
  assert.deepEqual(bundle.beneficiary, beneficiaryKyc(v).verification)
  assert.ok(!JSON.stringify(bundle).includes('Mustermann'), 'no personal data in the bundle')
  const r = await verifyEvidence(bundle)
  assert.deepEqual(r.conditions, [{ kind: 'beneficiary_kyc', beneficiary: bundle.beneficiary }])
  assert.equal(r.quorum.status, 'satisfied')

  const { beneficiary: _dropped, ...without } = bundle
  await assert.rejects(verifyEvidence(without), { code: 'evidence_condition_not_met', field: 'beneficiary' })
  await assert.rejects(verifyEvidence({ ...bundle, beneficiary: { ...bundle.beneficiary, claimsDigest: 'Erika Mustermann' } }), { code: 'evidence_malformed' })

  // No condition, no link: such bundles (and those made before the Travel Rule hook) verify as before.
  const small = await create({ amount: '10' })
  await approve(small.id)
  const plain = (await api().get(`/v1/approvals/${small.id}/evidence`, w.wallet)).body
  assert.equal(plain.beneficiary, undefined)
  assert.deepEqual((await verifyEvidence(plain)).conditions, [])
})
