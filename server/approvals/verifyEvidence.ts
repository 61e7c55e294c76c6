import { verifyAuthenticationResponse } from '@simplewebauthn/server'
import { createLocalJWKSet, type JSONWebKeySet } from 'jose'
import { verifySigned } from '../keys/index.ts'
import { z } from 'zod'
import { createPolicyEngine, policyVersion, type PolicyEngine } from '../../policies/index.ts'
import { ProblemError } from '../errors.ts'
import { expectedApprovalChallenge } from './challenge.ts'
import { EVIDENCE_SIGNATURE_TYP, evidenceDigest, zEvidenceBundle, type EvidenceApproval, type EvidenceBundle } from './evidence.ts'
import { canonicalIntent, digestOf } from './intent.ts'
import { evaluateQuorum, type EvaluateQuorumResult, type QuorumRequirement } from './quorum.ts'

/** Options only tighten: pin what the bundle states to what the verifier expects. */
export interface VerifyEvidenceOptions {
  /** When given, the bundle's rpId must be this one. */
  expectedRPID?: string
  /** When given, every origin in the bundle must be one of these. */
  expectedOrigins?: readonly string[]
  /** When given, the bundle's policy version must be one of these (say, versions the verifier has audited). */
  expectedPolicyVersions?: readonly string[]
  /**
   * The server's key history (`npm run sigil -- keys history`, GET /v1/audit/keys). When given, the bundle must carry
   * the server's signature over all of it (`serverSignature`), which vouches for what no passkey signs: the decision
   * inputs, each approver's groups, the initiator, that no decision was left out. Without it, only the passkeys'
   * signatures and the policy are checked, and whoever hands over the bundle vouches for the rest.
   */
  jwks?: JSONWebKeySet
}

export interface VerifyEvidenceResult {
  requestId: string
  digest: string
  policyVersion: string
  requirements: QuorumRequirement[]
  quorum: EvaluateQuorumResult
  /** Conditions besides the quorum the policy gave (`beneficiary_kyc`), each met by what the bundle carries. */
  conditions: { kind: 'beneficiary_kyc'; beneficiary: NonNullable<EvidenceBundle['beneficiary']> }[]
  /** `verified` with a key history given (VerifyEvidenceOptions.jwks); else `not checked`. */
  serverSignature: 'verified' | 'not checked'
}

const fail = (code: string, detail: string, field?: string): ProblemError => new ProblemError(code, 422, { detail, ...(field ? { field } : {}) })

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

interface RecomputedDecision {
  requirements: QuorumRequirement[]
  separationOfDuties: boolean
  conditions: VerifyEvidenceResult['conditions']
}

function recomputeDecision(bundle: EvidenceBundle): RecomputedDecision {
  let engine: PolicyEngine
  try {
    engine = createPolicyEngine(bundle.policy.texts)
  } catch (cause) {
    throw new ProblemError('evidence_policy_invalid', 422, { detail: 'The policy texts in the bundle do not compile.', field: 'policy.texts', cause })
  }
  const d = bundle.decision
  const input = {
    intent: bundle.intent,
    requester: d.requester,
    now: new Date(d.decidedAt),
    approvedLast24h: d.approvedLast24h,
    pendingTotal: d.pendingTotal ?? '0',
    destinationAllowlisted: d.destinationAllowlisted,
  }
  const decision = engine.evaluateApproval(input)
  if (decision.outcome !== 'approval_required') throw fail('evidence_requirements_mismatch', 'The policy blocks this intent.', 'decision')
  const requirements = decision.requirements.map(({ group, quorum }) => ({ group, quorum }))
  const recorded = [...d.requirements].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0))
  if (JSON.stringify(recorded) !== JSON.stringify(requirements) || d.separationOfDuties !== decision.separationOfDuties) {
    throw fail('evidence_requirements_mismatch', 'The recorded requirements are not what the policy gives for this intent.', 'decision.requirements')
  }
  const conditions: RecomputedDecision['conditions'] = []
  if (decision.conditions.some((c) => c.kind === 'beneficiary_kyc')) {
    // Travel Rule: the request was approved only once a verified beneficiary was linked, and with one the policy
    // must ask for nothing more, as the server checked when it linked the presentation.
    if (!bundle.beneficiary) {
      throw new ProblemError('evidence_condition_not_met', 422, { detail: 'The policy asks for a verified beneficiary and the bundle links none.', field: 'beneficiary' })
    }
    const after = engine.evaluateApproval({ ...input, beneficiaryVerified: true })
    if (after.outcome !== 'approval_required' || after.conditions.some((c) => c.kind === 'beneficiary_kyc')) {
      throw fail('evidence_requirements_mismatch', 'With a verified beneficiary the policy still does not allow this intent.', 'beneficiary')
    }
    conditions.push({ kind: 'beneficiary_kyc', beneficiary: bundle.beneficiary })
  }
  return { requirements, separationOfDuties: decision.separationOfDuties, conditions }
}

async function verifyApproval(bundle: EvidenceBundle, a: EvidenceApproval, i: number): Promise<void> {
  const field = `approvals.${i}`
  if (a.assertion.id !== a.credential.id || a.assertion.rawId !== a.credential.id) {
    throw fail('evidence_credential_mismatch', 'The assertion was not made with the recorded credential.', `${field}.assertion.id`)
  }
  let clientData: { crossOrigin?: unknown; topOrigin?: unknown }
  try {
    clientData = JSON.parse(Buffer.from(a.assertion.response.clientDataJSON, 'base64url').toString('utf8')) as typeof clientData
  } catch (cause) {
    throw new ProblemError('evidence_signature_invalid', 422, { detail: 'clientDataJSON is not JSON.', field: `${field}.assertion.response.clientDataJSON`, cause })
  }
  // Approvals are never made in a cross-origin frame (WebAuthn L3 §7.2 step 13 leaves this to the RP).
  if (clientData?.crossOrigin === true || clientData?.topOrigin !== undefined) {
    throw fail('evidence_signature_invalid', 'The assertion was made in a cross-origin frame.', `${field}.assertion.response.clientDataJSON`)
  }
  let expectedChallenge: string
  try {
    expectedChallenge = expectedApprovalChallenge({
      requestId: bundle.requestId, digest: bundle.digest, policyVersion: bundle.policy.version, decision: a.decision, nonce: a.nonce,
    })
  } catch (cause) {
    throw new ProblemError('evidence_malformed', 422, { detail: 'The approval challenge inputs are malformed.', field: `${field}.nonce`, cause })
  }
  let verified = false
  try {
    const r = await verifyAuthenticationResponse({
      response: a.assertion,
      expectedChallenge,
      expectedOrigin: bundle.webauthn.origins,
      expectedRPID: bundle.webauthn.rpId,
      expectedType: 'webauthn.get',
      credential: { id: a.credential.id, publicKey: new Uint8Array(Buffer.from(a.credential.publicKey, 'base64url')), counter: 0 },
      requireUserVerification: true,
    })
    verified = r.verified && r.authenticationInfo.userVerified
  } catch (cause) {
    throw new ProblemError('evidence_signature_invalid', 422, { detail: `Approval ${i} does not verify.`, field, cause })
  }
  if (!verified) throw fail('evidence_signature_invalid', `Approval ${i} does not verify.`, field)
}

/**
 * Re-checks an approval's evidence bundle offline, and throws ProblemError naming the first failure:
 *
 * 1. shape (`evidence_malformed`), and the caller's pins (`evidence_rp_mismatch`, `evidence_policy_mismatch`);
 * 2. the canonical intent bytes are those of the intent (`evidence_intent_mismatch`) and hash to the digest
 *    (`evidence_digest_mismatch`);
 * 3. the policy texts hash to the policy version (`evidence_policy_mismatch`), compile
 *    (`evidence_policy_invalid`), and give the recorded requirements for this intent and decision inputs
 *    (`evidence_requirements_mismatch`); when they also ask for a verified beneficiary (Travel Rule,
 *    `beneficiary_kyc`), the bundle links the beneficiary's presentation (`evidence_condition_not_met`) and with
 *    it the policy asks for nothing more (`evidence_requirements_mismatch`);
 * 4. each assertion was made with its recorded credential (`evidence_credential_mismatch`) and verifies under
 *    its COSE public key with user verification, for the bundle's RP ID and origins, over the approval
 *    challenge recomputed from request id, digest, policy version, decision and nonce (`evidence_signature_invalid`);
 * 5. no credential appears under two people (`evidence_duplicate_credential`);
 * 6. the quorum is met (`evidence_quorum_not_met`), counted as {@link evaluateQuorum} does.
 *
 * Trust caveat: the bundle proves that the keys in it signed this exact transaction; that each key and the
 * groups belong to the named person is the server's word, checkable only against its passkey records. The
 * beneficiary link is the server's record too: the presentation itself is not in the bundle, and its claims
 * digest can be checked only against the claims the originator holds.
 */
export async function verifyEvidence(input: unknown, opts: VerifyEvidenceOptions = {}): Promise<VerifyEvidenceResult> {
  const parsed = zEvidenceBundle.safeParse(input)
  if (!parsed.success) throw new ProblemError('evidence_malformed', 422, { detail: z.prettifyError(parsed.error) })
  const bundle = parsed.data
  if (opts.expectedRPID !== undefined && bundle.webauthn.rpId !== opts.expectedRPID) throw fail('evidence_rp_mismatch', 'Unexpected RP ID.', 'webauthn.rpId')
  if (opts.expectedOrigins && !bundle.webauthn.origins.every((o) => opts.expectedOrigins!.includes(o))) {
    throw fail('evidence_rp_mismatch', 'Unexpected origin.', 'webauthn.origins')
  }
  if (opts.expectedPolicyVersions && !opts.expectedPolicyVersions.includes(bundle.policy.version)) {
    throw fail('evidence_policy_mismatch', 'The policy version is not one the verifier expects.', 'policy.version')
  }

  const bytes = canonicalIntent(bundle.intent)
  if (!sameBytes(bytes, new Uint8Array(Buffer.from(bundle.canonicalIntent, 'base64url')))) {
    throw fail('evidence_intent_mismatch', 'The canonical intent bytes are not those of the intent.', 'canonicalIntent')
  }
  if (digestOf(bytes) !== bundle.digest) throw fail('evidence_digest_mismatch', 'The digest is not that of the intent.', 'digest')
  if (policyVersion(bundle.policy.texts) !== bundle.policy.version) {
    throw fail('evidence_policy_mismatch', 'The policy texts do not hash to the policy version.', 'policy.version')
  }
  const { requirements, separationOfDuties, conditions } = recomputeDecision(bundle)

  for (const [i, a] of bundle.approvals.entries()) await verifyApproval(bundle, a, i)
  // One passkey, one person: by credential id and by public key (the id is not signed: a copied approval under a
  // made-up id and another user id would otherwise count twice), and no assertion twice.
  const owner = new Map<string, string>()
  const signatures = new Set<string>()
  for (const [i, a] of bundle.approvals.entries()) {
    for (const [k, field] of [[`id:${a.credential.id}`, 'credential.id'], [`key:${a.credential.publicKey}`, 'credential.publicKey']] as const) {
      const prior = owner.get(k)
      if (prior !== undefined && prior !== a.userId) throw fail('evidence_duplicate_credential', 'One passkey is recorded for two people.', `approvals.${i}.${field}`)
      owner.set(k, a.userId)
    }
    const sig = String((a.assertion as { response?: { signature?: unknown } }).response?.signature)
    if (signatures.has(sig)) throw fail('evidence_duplicate_credential', 'One assertion is recorded twice.', `approvals.${i}.assertion.response.signature`)
    signatures.add(sig)
  }

  const quorum = evaluateQuorum({
    requirements,
    separationOfDuties,
    // As the server counts (view.ts): the initiator named on the request; a user who created it is its initiator.
    ...(bundle.decision.initiatorUserId ? { initiatorId: bundle.decision.initiatorUserId }
      : bundle.decision.requester.type === 'user' ? { initiatorId: bundle.decision.requester.id } : {}),
    decisions: bundle.approvals,
  })
  if (quorum.status !== 'satisfied') {
    throw new ProblemError('evidence_quorum_not_met', 422, { detail: `The approvals do not meet the policy (${quorum.status}).`, extra: { quorum } })
  }
  // Last, so that a specific failure above (a passkey signature, the quorum) is named first.
  let serverSignature: VerifyEvidenceResult['serverSignature'] = 'not checked'
  if (opts.jwks) {
    if (bundle.serverSignature === undefined) throw fail('evidence_unsigned', 'The bundle carries no server signature.', 'serverSignature')
    try {
      const claims = await verifySigned(bundle.serverSignature, createLocalJWKSet(opts.jwks), EVIDENCE_SIGNATURE_TYP)
      if (claims.sub !== bundle.requestId || claims.bundle_digest !== evidenceDigest(bundle)) throw new Error('digest')
    } catch {
      throw fail('evidence_server_signature_invalid', 'The server signature does not verify with the key history, or it covers another bundle: something was changed.', 'serverSignature')
    }
    serverSignature = 'verified'
  }

  return { requestId: bundle.requestId, digest: bundle.digest, policyVersion: bundle.policy.version, requirements, quorum, conditions, serverSignature }
}
