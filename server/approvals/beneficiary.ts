import { randomBytes } from 'node:crypto'
import canonicalize from 'canonicalize'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps, Principal } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import type { ApprovalRecord, AuditInput, BeneficiaryVerificationRecord } from '../store/index.ts'
import { expireIfDue, notFound } from './access.ts'
import { beneficiaryNameMatches } from './beneficiaryName.ts'
import { beneficiaryCondition, conditionsMet, mayAskBeneficiary } from './conditions.ts'
import { approversOf } from './decide.ts'
import { recordedInput } from './create.ts'
import { digestOf } from './intent.ts'
import { policySourceFor } from './policySource.ts'
import { tally } from './view.ts'
import type { TransactionIntent } from './wire.ts'

/**
 * What Sigil asks the beneficiary to disclose for the Travel Rule, and nothing more: the name the originator must
 * hold about the beneficiary (FATF R.16; EU TFR 2023/1113 Art. 14(2)(b); IVMS101 `NaturalPersonName`, primary and
 * secondary identifier), the KYC level, and whether the person was sanctions-screened. No birth date, no address.
 */
export const BENEFICIARY_CLAIMS: readonly string[] = ['kyc_level', 'sanctions_screened', 'given_name', 'family_name']

/**
 * The verifier Sigil is for its own Travel Rule check, as a principal of the disclosure policy (action Disclose).
 * It is registered under the Travel Rule, so the shipped policy lets it ask for names; its id is not a UUID, so it
 * can never be an API client's.
 */
export const TRAVEL_RULE_VERIFIER = { id: 'sigil:travel-rule', travelRule: true } as const

/** A beneficiary presentation request stays open at most this long (and never past the approval's expiry). */
const REQUEST_SECONDS = 600

/**
 * `POST /v1/approvals/:id/beneficiary-presentation`, the approval side: the request must be pending, its policy must
 * ask for a verified beneficiary, and none may be linked yet. Answers how long the presentation request may live.
 */
export async function beneficiaryRequestFor(deps: AppDeps, id: string, principal: Principal): Promise<{ approval: ApprovalRecord; expiresInSeconds: number }> {
  const found = await deps.store.approvals.get(id)
  if (!found || !mayAskBeneficiary(found, principal)) throw notFound()
  const a = await expireIfDue(deps, found)
  requireOpen(a)
  const left = Math.floor((a.expiresAt - deps.now()) / 1000)
  return { approval: a, expiresInSeconds: Math.max(1, Math.min(REQUEST_SECONDS, left)) }
}

function requireOpen(a: ApprovalRecord): void {
  if (a.status !== 'pending') throw new ProblemError('approval_not_pending', 409, { detail: `The request is ${a.status}.` })
  if (!beneficiaryCondition(a)) {
    throw new ProblemError('beneficiary_kyc_not_required', 409, { detail: 'The policy does not ask for a verified beneficiary for this request.' })
  }
  if ((a.beneficiary ?? null) !== null) {
    throw new ProblemError('beneficiary_kyc_already_verified', 409, { detail: 'A verified beneficiary presentation is already linked to this request.' })
  }
}

/** The presentation the beneficiary's wallet answered with, after the presentation checks passed. */
export interface BeneficiaryPresentation {
  presentationRequestId: string
  issuer: string
  /** Only the claims asked for ({@link BENEFICIARY_CLAIMS}). */
  claims: Record<string, unknown>
}

/** The salted commitment to verified beneficiary claims (see BeneficiaryVerificationRecord.claimsDigest). */
export const claimsDigestOf = (claims: Record<string, unknown>, salt: string): string =>
  digestOf(new TextEncoder().encode(canonicalize({ claims, salt })!))

const refuse = (reason: string, detail: string) => new ProblemError('presentation_invalid', 422, { detail, field: 'vp_token', extra: { reason } })

/** Retries of the compare-and-set when approvers' decisions land at the same moment. */
const MAX_ROUNDS = 20

/**
 * The hook the presentation machinery calls when a presentation asked for by {@link beneficiaryRequestFor} verifies
 * (issuer trusted, status, key binding to that request's nonce and Sigil's client id, no claim beyond those asked).
 * The person must have been sanctions-screened and named and, when the intent names the beneficiary
 * (`beneficiary.name`), the disclosed given and family name must be that name ({@link beneficiaryNameMatches});
 * without a name in the intent the name is kept, not checked. The request's policy is then evaluated again with the
 * same inputs and `beneficiaryVerified: true`: if it still asks for the beneficiary the presentation is refused; if
 * it blocks (an evaluation error included) the request is blocked; otherwise the link is stored by a compare-and-set
 * (one presentation wins) and, when the quorum is already met, the request is approved. Audit entries and events
 * carry the claims' digest, never the claims; the claims stay on the approval record (the Travel Rule requires the
 * originator to hold the beneficiary's name).
 */
export async function recordBeneficiaryPresentation(deps: AppDeps, approvalId: string, p: BeneficiaryPresentation): Promise<ApprovalRecord> {
  if (p.claims.sanctions_screened !== true) throw refuse('beneficiary_not_screened', 'The beneficiary\'s credential does not say they were sanctions-screened.')
  if (typeof p.claims.given_name !== 'string' || typeof p.claims.family_name !== 'string') {
    throw refuse('beneficiary_name_missing', 'The presentation does not disclose the beneficiary\'s name.')
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = await deps.store.approvals.get(approvalId)
    if (!found) throw notFound()
    const a = await expireIfDue(deps, found)
    requireOpen(a)
    const wanted = (a.intent as unknown as TransactionIntent).beneficiary?.name
    if (wanted !== undefined && !beneficiaryNameMatches(wanted, p.claims.given_name, p.claims.family_name)) {
      throw refuse('beneficiary_name_mismatch', 'The disclosed name is not the beneficiary named in the transfer.')
    }
    const engine = await policySourceFor(deps.store).byVersion(a.policyVersion)
    const d = a.decision
    const result = engine?.evaluateApproval(recordedInput(a, { beneficiaryVerified: true }))
    if (result?.outcome === 'approval_required' && result.conditions.some((c) => c.kind === 'beneficiary_kyc')) {
      throw refuse('beneficiary_not_accepted', 'The policy still asks for a verified beneficiary.')
    }
    const now = deps.now()
    const claimsSalt = randomBytes(16).toString('base64url')
    const link: BeneficiaryVerificationRecord = { presentationRequestId: p.presentationRequestId, verifiedAt: now, issuer: p.issuer,
      claimsDigest: claimsDigestOf(p.claims, claimsSalt), claimsSalt, claims: p.claims }
    const next: ApprovalRecord = { ...a, beneficiary: link, version: a.version + 1 }
    const data = { presentationRequest: link.presentationRequestId, issuer: link.issuer, claimsDigest: link.claimsDigest }
    const events = [domainEvent('approval.beneficiary_verified', a.id, now, data)]
    if (!result || result.outcome === 'blocked') {
      const blocks = result?.outcome === 'blocked' ? result.blocks
        : [{ code: 'policy_evaluation_error', reason: 'The policy set this request was decided under is not stored, so the request is denied.' }]
      Object.assign(next, { status: 'blocked', settledAt: now, decision: { ...d, blocks: blocks.map((b) => ({ ...b })) } })
      events.push(domainEvent('approval.blocked', a.id, now, { kind: a.kind, digest: a.digest, policyVersion: a.policyVersion }))
    } else if (tally(next).status === 'satisfied' && conditionsMet(next)) {
      Object.assign(next, { status: 'approved', settledAt: now })
      events.push(domainEvent('approval.approved', a.id, now, { kind: a.kind, digest: a.digest, approvers: approversOf(next) }))
    }
    const entries: AuditInput[] = [{ type: 'approval.beneficiary_verified', actor: TRAVEL_RULE_VERIFIER.id, subject: a.id, data }]
    if (next.status !== 'pending') entries.push({ type: `approval.${next.status}`, actor: 'system', subject: a.id, data: { digest: a.digest } })
    if (await deps.store.approvals.update(next, events, { entries, at: now })) return next
  }
  throw new ProblemError('approval_busy', 503, { detail: 'Too many concurrent changes; try again.', headers: { 'Retry-After': '1' } })
}

/** A failed beneficiary presentation, as {@link recordBeneficiaryFailure} keeps it: ids and a reason code only. */
export interface BeneficiaryFailure {
  presentationRequestId: string
  /** The verifier's or the hook's reason code (`nonce_mismatch`, `credential_revoked`, `beneficiary_name_mismatch`, …). */
  reason: string
}

/**
 * The hook the presentation machinery calls when an answer to a request from {@link beneficiaryRequestFor} fails
 * (it does not verify, or {@link recordBeneficiaryPresentation} refused it): the reason is kept on the approval
 * (`beneficiaryFailure`, by compare-and-set, with an `approval.beneficiary_failed` event and audit entry) so the
 * wallet backend and the approvers see why and can ask again. Nothing is kept once the request is settled or a
 * beneficiary is linked, and no claim is ever kept. Answers whether the failure was recorded.
 */
export async function recordBeneficiaryFailure(deps: AppDeps, approvalId: string, f: BeneficiaryFailure): Promise<boolean> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = await deps.store.approvals.get(approvalId)
    if (!found) return false
    const a = await expireIfDue(deps, found)
    if (a.status !== 'pending' || !beneficiaryCondition(a) || (a.beneficiary ?? null) !== null) return false
    const now = deps.now()
    const next: ApprovalRecord = { ...a, beneficiaryFailure: { presentationRequestId: f.presentationRequestId, reason: f.reason, at: now }, version: a.version + 1 }
    const data = { presentationRequest: f.presentationRequestId, reason: f.reason }
    if (await deps.store.approvals.update(next, [domainEvent('approval.beneficiary_failed', a.id, now, data)],
      { entries: [{ type: 'approval.beneficiary_failed', actor: TRAVEL_RULE_VERIFIER.id, subject: a.id, data }], at: now })) {
      return true
    }
  }
  return false
}
