import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { generateAuthenticationOptions, generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server'
import { loadPolicies, policyVersion, type PolicyEngine } from '../../policies/index.ts'
import { createSoftAuthenticator, type AuthTamper, type SoftAuthenticator } from '../testing/index.ts'
import { expectedApprovalChallenge, newApprovalNonce } from './challenge.ts'
import type { EvidenceApproval, EvidenceBundle } from './evidence.ts'
import { canonicalIntent, intentDigest } from './intent.ts'
import { verifyEvidence } from './verifyEvidence.ts'
import type { TransactionIntent } from './wire.ts'

const rpId = 'sigil.example'
const origin = 'https://sigil.example'
const intent: TransactionIntent = {
  chain: 'ethereum', asset: 'eth', amount: '25.5', source: { walletId: 'hot-1' },
  destination: '0x52908400098527886E0F7030069857D2E4169EE7', memo: 'invoice 42',
}
const decidedAt = '2026-03-04T10:00:00.000Z'

interface Approver { userId: string; groups: string[]; auth: SoftAuthenticator; credentialId: string; publicKey: string }
let engine: PolicyEngine
const people: Record<string, Approver> = {}

async function enrol(userId: string, groups: string[]): Promise<Approver> {
  const auth = createSoftAuthenticator()
  const options = await generateRegistrationOptions({ rpName: 'Sigil', rpID: rpId, userName: userId })
  const response = await auth.register(options, { origin })
  const { registrationInfo } = await verifyRegistrationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: origin, expectedRPID: rpId })
  const c = registrationInfo!.credential
  return { userId, groups, auth, credentialId: c.id, publicKey: Buffer.from(c.publicKey).toString('base64url') }
}

before(async () => {
  engine = await loadPolicies()
  people.alice = await enrol('alice', ['treasury'])
  people.bob = await enrol('bob', ['treasury', 'risk'])
  people.mallory = await enrol('mallory', ['treasury'])
})

async function sign(bundle: Omit<EvidenceBundle, 'approvals'>, who: Approver, decision: 'approve' | 'reject' = 'approve', tamper?: AuthTamper): Promise<EvidenceApproval> {
  const nonce = newApprovalNonce()
  const challenge = expectedApprovalChallenge({ requestId: bundle.requestId, digest: bundle.digest, policyVersion: bundle.policy.version, decision, nonce })
  const options = await generateAuthenticationOptions({ rpID: rpId, challenge: Buffer.from(challenge, 'base64url'), userVerification: 'required', allowCredentials: [{ id: who.credentialId }] })
  const assertion = await who.auth.authenticate(options, { origin, ...(tamper ? { tamper } : {}) })
  return { userId: who.userId, groups: who.groups, decision, nonce, credential: { id: who.credentialId, publicKey: who.publicKey }, assertion: assertion as EvidenceApproval['assertion'] }
}

function base(over: Partial<EvidenceBundle['decision']> = {}): Omit<EvidenceBundle, 'approvals'> {
  return {
    format: 'sigil-approval-evidence-v1',
    requestId: 'apr_01HZX',
    intent,
    canonicalIntent: Buffer.from(canonicalIntent(intent)).toString('base64url'),
    digest: intentDigest(intent),
    policy: { version: engine.version, texts: engine.texts },
    decision: {
      requester: { type: 'apiClient', id: 'wallet-backend' }, decidedAt, approvedLast24h: '0', destinationAllowlisted: false,
      requirements: [{ group: 'treasury', quorum: 2 }], separationOfDuties: true, ...over,
    },
    webauthn: { rpId, origins: [origin] },
  }
}

async function goodBundle(): Promise<EvidenceBundle> {
  const b = base()
  return { ...b, approvals: [await sign(b, people.alice!), await sign(b, people.bob!)] }
}

const clone = (b: EvidenceBundle): EvidenceBundle => structuredClone(b)
/** Flips the first byte of a base64url field (the first character carries 6 significant bits). */
const flip = (s: string): string => { const bytes = Buffer.from(s, 'base64url'); bytes[0] = bytes[0]! ^ 0x01; return bytes.toString('base64url') }

test('a bundle made with real passkeys over the real challenge verifies offline', async () => {
  const r = await verifyEvidence(await goodBundle(), { expectedRPID: rpId, expectedOrigins: [origin], expectedPolicyVersions: [engine.version] })
  assert.equal(r.quorum.status, 'satisfied')
  assert.deepEqual(r.quorum.groups[0]?.approvedBy, ['alice', 'bob'])
  assert.equal(r.policyVersion, engine.version)
})

test('changing one byte anywhere that is signed or hashed makes verification fail', async () => {
  const good = await goodBundle()
  const cases: [string, (b: EvidenceBundle) => void, string][] = [
    ['intent amount', (b) => { b.intent.amount = '25.6' }, 'evidence_intent_mismatch'],
    ['intent destination', (b) => { b.intent.destination = '0x52908400098527886E0F7030069857D2E4169EE8' }, 'evidence_intent_mismatch'],
    ['canonical intent bytes', (b) => { b.canonicalIntent = flip(b.canonicalIntent) }, 'evidence_intent_mismatch'],
    ['digest', (b) => { b.digest = `sha256:${'0'.repeat(64)}` }, 'evidence_digest_mismatch'],
    ['policy text', (b) => { b.policy.texts.policies['large-transfer'] = b.policy.texts.policies['large-transfer']!.replace('"2"', '"1"') }, 'evidence_policy_mismatch'],
    ['schema text', (b) => { b.policy.texts.schema += ' ' }, 'evidence_policy_mismatch'],
    ['policy version', (b) => { b.policy.version = `sha256:${'1'.repeat(64)}` }, 'evidence_policy_mismatch'],
    ['signature', (b) => { b.approvals[1]!.assertion.response.signature = flip(b.approvals[1]!.assertion.response.signature) }, 'evidence_signature_invalid'],
    ['authenticatorData', (b) => { b.approvals[0]!.assertion.response.authenticatorData = flip(b.approvals[0]!.assertion.response.authenticatorData) }, 'evidence_signature_invalid'],
    ['clientDataJSON', (b) => { b.approvals[0]!.assertion.response.clientDataJSON = flip(b.approvals[0]!.assertion.response.clientDataJSON) }, 'evidence_signature_invalid'],
    ['public key', (b) => { b.approvals[0]!.credential.publicKey = people.mallory!.publicKey }, 'evidence_signature_invalid'],
    ['nonce', (b) => { b.approvals[0]!.nonce = flip(b.approvals[0]!.nonce) }, 'evidence_signature_invalid'],
    ['request id', (b) => { b.requestId = 'apr_01HZY' }, 'evidence_signature_invalid'],
    ['decision', (b) => { b.approvals[0]!.decision = 'reject' }, 'evidence_signature_invalid'],
    ['rp id', (b) => { b.webauthn.rpId = 'evil.example' }, 'evidence_signature_invalid'],
    ['origin', (b) => { b.webauthn.origins = ['https://evil.example'] }, 'evidence_signature_invalid'],
    ['credential id', (b) => { b.approvals[0]!.credential.id = people.mallory!.credentialId }, 'evidence_credential_mismatch'],
    ['approver groups', (b) => { b.approvals[1]!.groups = ['risk'] }, 'evidence_quorum_not_met'],
    ['recorded requirements', (b) => { b.decision.requirements = [{ group: 'treasury', quorum: 1 }] }, 'evidence_requirements_mismatch'],
    ['decision inputs', (b) => { b.decision.destinationAllowlisted = true }, 'evidence_requirements_mismatch'],
    ['unknown member', (b) => { (b as unknown as Record<string, unknown>).extra = 1 }, 'evidence_malformed'],
  ]
  for (const [name, mutate, code] of cases) {
    const b = clone(good)
    mutate(b)
    await assert.rejects(verifyEvidence(b), { code }, name)
  }
})

test('a tampered intent with a recomputed digest still fails: the passkeys signed the old digest', async () => {
  const b = clone(await goodBundle())
  b.intent.amount = '26'
  b.canonicalIntent = Buffer.from(canonicalIntent(b.intent)).toString('base64url')
  b.digest = intentDigest(b.intent)
  await assert.rejects(verifyEvidence(b), { code: 'evidence_signature_invalid' })
})

test('a weakened policy with a recomputed version still fails: the passkeys signed the old version', async () => {
  const b = clone(await goodBundle())
  b.policy.texts.policies['large-transfer'] = b.policy.texts.policies['large-transfer']!.replace('@quorum("2")', '@quorum("1")')
  b.policy.version = policyVersion(b.policy.texts)
  b.decision.requirements = [{ group: 'treasury', quorum: 1 }]
  b.approvals.pop()
  await assert.rejects(verifyEvidence(b), { code: 'evidence_signature_invalid' })
})

test('one person counts once, however many passkeys', async () => {
  const alice2 = await enrol('alice', ['treasury'])
  const b = base()
  await assert.rejects(verifyEvidence({ ...b, approvals: [await sign(b, people.alice!), await sign(b, alice2)] }), { code: 'evidence_quorum_not_met' })
})

test('one passkey recorded for two people is refused', async () => {
  const b = base()
  const a = await sign(b, people.alice!)
  await assert.rejects(verifyEvidence({ ...b, approvals: [a, { ...a, userId: 'alice-twin' }] }), { code: 'evidence_duplicate_credential' })
})

test('one assertion copied under a made-up credential id and another person is refused (the id is not signed)', async () => {
  const b = base()
  const a = await sign(b, people.alice!)
  const fakeId = Buffer.from('not-a-real-credential').toString('base64url')
  const twin = { ...a, userId: 'bob', credential: { ...a.credential, id: fakeId },
    assertion: { ...a.assertion, id: fakeId, rawId: fakeId } } as typeof a
  await assert.rejects(verifyEvidence({ ...b, approvals: [a, twin] }), { code: 'evidence_duplicate_credential' })
  // The same assertion twice under the same person is refused too, whatever else differs.
  await assert.rejects(verifyEvidence({ ...b, approvals: [a, { ...a, groups: [...a.groups] }] }), { code: 'evidence_duplicate_credential' })
})

test('the initiator does not count under separation of duties', async () => {
  const b = base({ requester: { type: 'user', id: 'alice' } })
  await assert.rejects(verifyEvidence({ ...b, approvals: [await sign(b, people.alice!), await sign(b, people.bob!)] }), { code: 'evidence_quorum_not_met' })
  const ok = await verifyEvidence({ ...b, approvals: [await sign(b, people.mallory!), await sign(b, people.bob!)] })
  assert.equal(ok.quorum.status, 'satisfied')
  // A wallet backend's request names its initiator; offline, as on the server, that person's approval counts for nothing.
  const named = base({ initiatorUserId: 'alice' })
  await assert.rejects(verifyEvidence({ ...named, approvals: [await sign(named, people.alice!), await sign(named, people.bob!)] }), { code: 'evidence_quorum_not_met' })
})

test('a signed rejection fails the quorum; an assertion without user verification is refused', async () => {
  const b = base()
  await assert.rejects(verifyEvidence({ ...b, approvals: [await sign(b, people.alice!), await sign(b, people.bob!), await sign(b, people.mallory!, 'reject')] }), { code: 'evidence_quorum_not_met' })
  await assert.rejects(verifyEvidence({ ...b, approvals: [await sign(b, people.alice!), await sign(b, people.bob!, 'approve', { uv: false })] }), { code: 'evidence_signature_invalid' })
})

test('pins only tighten', async () => {
  const b = await goodBundle()
  await assert.rejects(verifyEvidence(b, { expectedRPID: 'other.example' }), { code: 'evidence_rp_mismatch' })
  await assert.rejects(verifyEvidence(b, { expectedOrigins: ['https://other.example'] }), { code: 'evidence_rp_mismatch' })
  await assert.rejects(verifyEvidence(b, { expectedPolicyVersions: [] }), { code: 'evidence_policy_mismatch' })
})

test('a bundle whose policy blocks the intent is refused', async () => {
  const blocked = { ...intent, destination: '0x000000000000000000000000000000000000dEaD' }
  const b = { ...base(), intent: blocked, canonicalIntent: Buffer.from(canonicalIntent(blocked)).toString('base64url'), digest: intentDigest(blocked) }
  await assert.rejects(verifyEvidence({ ...b, approvals: [await sign(b, people.alice!), await sign(b, people.bob!)] }), { code: 'evidence_requirements_mismatch' })
})
