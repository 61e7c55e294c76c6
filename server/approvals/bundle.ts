import { signJwt } from '../keys/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import type { ApprovalRecord } from '../store/index.ts'
import { EVIDENCE_SIGNATURE_TYP, evidenceDigest, type EvidenceBundle } from './evidence.ts'
import { canonicalIntent } from './intent.ts'
import { policySourceFor } from './policySource.ts'
import type { TransactionIntent } from './wire.ts'

/** The assertion fields the evidence format keeps, byte for byte as the browser sent them. */
function assertionOf(raw: Record<string, unknown>): EvidenceBundle['approvals'][number]['assertion'] {
  const r = raw as { id: string; rawId: string; response: Record<string, string>; authenticatorAttachment?: 'platform' | 'cross-platform'; clientExtensionResults?: Record<string, unknown> }
  return {
    id: r.id, rawId: r.rawId, type: 'public-key',
    response: { clientDataJSON: r.response.clientDataJSON!, authenticatorData: r.response.authenticatorData!, signature: r.response.signature!,
      ...(r.response.userHandle !== undefined ? { userHandle: r.response.userHandle } : {}) },
    ...(r.authenticatorAttachment ? { authenticatorAttachment: r.authenticatorAttachment } : {}),
    clientExtensionResults: r.clientExtensionResults ?? {},
  }
}

/**
 * `GET /v1/approvals/:id/evidence`: everything to re-check the approval offline with `npm run sigil -- evidence
 * verify` (or `verifyEvidence` from server/approvals): intent and canonical bytes, policy texts and decision
 * inputs, each approver's assertion with its public key and, under the Travel Rule, the link to the beneficiary's
 * verified presentation (ids, issuer, claims digest; never the claims).
 */
export async function evidenceBundle(deps: AppDeps, a: ApprovalRecord): Promise<EvidenceBundle> {
  if (a.kind !== 'transfer') throw new ProblemError('approval_no_evidence', 409, { detail: 'Evidence bundles cover transfers; a policy change is in the audit log.' })
  if (a.decisions.length === 0) throw new ProblemError('approval_no_evidence', 409, { detail: 'Nobody has decided on this request yet.' })
  const engine = await policySourceFor(deps.store).byVersion(a.policyVersion)
  if (!engine) throw new ProblemError('approval_no_evidence', 409, { detail: 'The policy set this request was decided under is not stored.' })
  const intent = a.intent as unknown as TransactionIntent
  const b = a.beneficiary ?? null
  const bundle: EvidenceBundle = {
    format: 'sigil-approval-evidence-v1',
    requestId: a.id,
    intent,
    canonicalIntent: Buffer.from(canonicalIntent(intent)).toString('base64url'),
    digest: a.digest,
    policy: { version: engine.version, texts: engine.texts },
    decision: {
      requester: a.decision.requester, decidedAt: new Date(a.decision.decidedAt).toISOString(), approvedLast24h: a.decision.approvedLast24h,
      pendingTotal: a.decision.pendingTotal ?? '0', destinationAllowlisted: a.decision.destinationAllowlisted, requirements: a.decision.requirements.map(({ group, quorum }) => ({ group, quorum })),
      separationOfDuties: a.decision.separationOfDuties, initiatorUserId: a.initiatorUserId,
    },
    webauthn: { rpId: deps.config.rpId, origins: [...deps.config.origins, ...deps.config.relatedOrigins] },
    approvals: a.decisions.map((d) => ({ userId: d.userId, groups: d.groups.filter((g) => /^[a-z0-9][a-z0-9_-]{0,63}$/.test(g)),
      decision: d.decision, nonce: d.nonce, credential: { id: d.credentialId, publicKey: d.publicKey }, assertion: assertionOf(d.assertion) })),
    ...(b ? { beneficiary: { presentationRequestId: b.presentationRequestId, verifiedAt: new Date(b.verifiedAt).toISOString(), issuer: b.issuer,
      claimsDigest: b.claimsDigest } } : {}),
  }
  const serverSignature = await signJwt(deps.keys.signer(), EVIDENCE_SIGNATURE_TYP, {
    iss: deps.config.publicUrl, sub: a.id, iat: Math.floor(deps.now() / 1000), bundle_digest: evidenceDigest(bundle) })
  return { ...bundle, serverSignature }
}
