import { randomUUID } from 'node:crypto'
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { signJwt, withKeyRefresh } from '../keys/index.ts'
import type { ApprovalPolicyDecision, ApprovalRecord } from '../store/index.ts'
import { conditionsMet } from './conditions.ts'
import { approversOf } from './decide.ts'
import { tally } from './view.ts'
import { policyDecision, recordedInput } from './create.ts'
import { policySourceFor } from './policySource.ts'

/** The approval token's media type (`typ` header); a signer pins it with alg ES256 and its own id as `aud`. */
export const APPROVAL_TOKEN_TYP = 'sigil-approval+jwt'
/** Longest life of an approval token. */
export const APPROVAL_TOKEN_SECONDS = 300

export interface ApprovalTokenClaims extends JWTPayload {
  iss: string
  aud: string
  /** The approval request id. */
  sub: string
  jti: string
  iat: number
  exp: number
  intent_digest: string
  policy_version: string
  approvers: string[]
}

function claimsOf(deps: AppDeps, a: ApprovalRecord, token: NonNullable<ApprovalRecord['token']>): ApprovalTokenClaims {
  return { iss: deps.config.publicUrl, aud: a.signer!, sub: a.id, jti: token.jti, iat: Math.floor(token.issuedAt / 1000),
    exp: Math.floor(token.expiresAt / 1000), intent_digest: a.digest, policy_version: a.policyVersion, approvers: approversOf(a) }
}

/** The last moment a token may be issued for an approved request. */
export function approvalUsableUntil(a: ApprovalRecord): number {
  return Math.max(a.expiresAt, (a.settledAt ?? 0) + APPROVAL_TOKEN_SECONDS * 1000)
}

/**
 * What the policy set in force forbids for this approved transfer now (its `forbid`s and any evaluation error; []
 * when nothing). The request was decided under its own version at its own time, and its requirements stay those;
 * but a destination denied since (a sanctions list update), or a time-of-day rule that forbids it at this hour,
 * must stop the signature, not wait for the request to expire. The velocity figures are those recorded (the
 * quorum's re-check settled them), so the request is not counted against itself.
 */
async function forbiddenNow(deps: AppDeps, a: ApprovalRecord, now: number): Promise<ApprovalPolicyDecision['blocks']> {
  const d = a.decision
  const engine = await policySourceFor(deps.store).current()
  const beneficiaryVerified = a.beneficiary != null
  // The same set, the same hour of the same weekday, no beneficiary linked since: every input is what it was when
  // the request was decided and not blocked, so the answer is the same (saves a Cedar evaluation per token). The
  // hour and weekday are compared in UTC and in the set's zone: in a zone with a half-hour offset (Asia/Kolkata)
  // the local hour and day turn at half past a UTC hour, so one UTC hour holds two local hours.
  const then = engine.timeOfDay(new Date(d.decidedAt))
  const at = engine.timeOfDay(new Date(now))
  const sameTime = at.hourUtc === then.hourUtc && at.weekdayUtc === then.weekdayUtc && at.hourLocal === then.hourLocal && at.weekdayLocal === then.weekdayLocal
  if (engine.version === a.policyVersion && !beneficiaryVerified && sameTime) return []
  const result = engine.evaluateApproval(recordedInput(a, { now: new Date(now), beneficiaryVerified }))
  return result.outcome === 'blocked' ? policyDecision(result, d.requester, now, d.approvedLast24h, d.pendingTotal ?? '0').blocks : []
}

/** Whether the approvals still meet the quorum with each approver's groups as they are now (their roles today). */
async function quorumHoldsNow(deps: AppDeps, a: ApprovalRecord): Promise<boolean> {
  const ids = [...new Set(a.decisions.filter((d) => d.decision === 'approve').map((d) => d.userId))]
  const users = await Promise.all(ids.map((id) => deps.store.users.get(id)))
  const roles = new Map(ids.map((id, i) => [id, new Set(users[i]?.roles ?? [])]))
  const now = { ...a, decisions: a.decisions.map((d) => ({ ...d, groups: d.groups.filter((g) => roles.get(d.userId)?.has(g) ?? d.decision !== 'approve') })) }
  return tally(now).status === 'satisfied'
}

/**
 * `GET /v1/approvals/:id/token`: a short-lived JWS for the signing service. One token id per request: asked
 * again while it is valid, the same claims are signed again; after it expires unredeemed, a new id replaces it.
 * Each time, the policy set in force is asked whether it now forbids the transfer (forbiddenNow): if so, the
 * request becomes `blocked` (with an event and an audit entry) and no token is given.
 */
export async function issueApprovalToken(deps: AppDeps, approval: ApprovalRecord): Promise<{ token: string; jti: string; expiresAt: number }> {
  let a = approval
  for (let round = 0; round < 10; round++) {
    if (a.kind !== 'transfer' || a.status !== 'approved' || !conditionsMet(a)) {
      throw new ProblemError('approval_not_approved', 409, { detail: `The request is ${a.status}; a token needs an approved transfer.` })
    }
    if (a.redeemedAt !== null) throw new ProblemError('approval_token_redeemed', 409, { detail: 'The approval was already redeemed.' })
    const now = deps.now()
    // An approval is for the transaction now, not weeks later under another policy: tokens are issued until the
    // request's expiry, or for one token lifetime after the quorum was met when that was close to the expiry.
    if (now > approvalUsableUntil(a)) {
      throw new ProblemError('approval_expired', 409, { detail: 'The approval is too old to sign with; open a new request for this transaction.' })
    }
    // The approvers must still hold the groups they approved for: someone removed from treasury since (left the
    // company, a compromised account whose roles were pulled) no longer counts toward a token.
    if (!(await quorumHoldsNow(deps, a))) {
      throw new ProblemError('approval_quorum_lost', 409, { detail: 'Some approvers no longer hold the groups they approved for, so the quorum is not met any more: open a new request.' })
    }
    const blocks = await forbiddenNow(deps, a, now)
    if (blocks.length) {
      const blocked: ApprovalRecord = { ...a, status: 'blocked', token: null, decision: { ...a.decision, blocks }, version: a.version + 1 }
      const written = await deps.store.approvals.update(blocked,
        [domainEvent('approval.blocked', a.id, now, { kind: a.kind, digest: a.digest, policyVersion: a.policyVersion, inForce: true })],
        { entries: [{ type: 'approval.blocked', actor: 'system', subject: a.id, data: { digest: a.digest, blocks: blocks.map((b) => b.code), inForce: true } }], at: now })
      if (!written) { a = (await deps.store.approvals.get(a.id)) ?? a; continue }
      throw new ProblemError('approval_blocked', 409, { detail: `The policy in force now forbids this transfer: ${blocks.map((b) => b.reason).join(' ')}`.slice(0, 500) })
    }
    if (a.token && a.token.expiresAt > now) {
      return { token: await signJwt(deps.keys.signer(), APPROVAL_TOKEN_TYP, claimsOf(deps, a, a.token)), jti: a.token.jti, expiresAt: a.token.expiresAt }
    }
    const token = { jti: randomUUID(), issuedAt: now, expiresAt: now + APPROVAL_TOKEN_SECONDS * 1000 }
    const next = { ...a, token, version: a.version + 1 }
    if (await deps.store.approvals.update(next, [domainEvent('approval.token_issued', a.id, now, { jti: token.jti, signer: a.signer })],
      { entries: [{ type: 'approval.token_issued', actor: a.requestedBy, subject: a.id, data: { jti: token.jti } }], at: now })) {
      return { token: await signJwt(deps.keys.signer(), APPROVAL_TOKEN_TYP, claimsOf(deps, next, token)), jti: token.jti, expiresAt: token.expiresAt }
    }
    a = (await deps.store.approvals.get(a.id)) ?? a
  }
  throw new ProblemError('approval_busy', 503, { detail: 'Try again.', headers: { 'Retry-After': '1' } })
}

const invalid = (detail: string) => new ProblemError('approval_token_invalid', 400, { detail, field: 'token' })

/** Verifies an approval token for `signerId`: ES256 only, our `typ`, issuer, audience = the signer, lifetime. */
export async function verifyApprovalToken(deps: AppDeps, token: string, signerId: string): Promise<ApprovalTokenClaims> {
  const options = { algorithms: ['ES256'], typ: APPROVAL_TOKEN_TYP, issuer: deps.config.publicUrl, audience: signerId,
    currentDate: new Date(deps.now()), requiredClaims: ['sub', 'jti', 'exp', 'iat', 'intent_digest'] }
  try {
    const verified = await withKeyRefresh(deps.keys, (err) => err instanceof joseErrors.JWKSNoMatchingKey,
      () => jwtVerify(token, deps.keys.verificationKeys(), options))
    return verified.payload as ApprovalTokenClaims
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new ProblemError('approval_token_expired', 400, { detail: 'The approval token has expired; fetch a new one.', field: 'token' })
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') throw invalid('The token is for another signing service.')
    throw invalid('The approval token is not valid.')
  }
}

/**
 * `POST /v1/approvals/:id/redeem`: the signing service proves the token and spends it, atomically, once: 200
 * the first time, 409 ever after, whichever instance answers.
 */
export async function redeemApprovalToken(deps: AppDeps, signerId: string, id: string, token: string): Promise<ApprovalTokenClaims> {
  const claims = await verifyApprovalToken(deps, token, signerId)
  if (claims.sub !== id) throw invalid('The token is for another request.')
  const a = await deps.store.approvals.get(id)
  if (!a || a.signer !== signerId) throw new ProblemError('approval_not_found', 404, { field: 'id' })
  if (a.redeemedAt !== null) throw new ProblemError('approval_token_redeemed', 409, { detail: 'This approval was already redeemed.' })
  if (a.token?.jti !== claims.jti || a.digest !== claims.intent_digest) throw invalid('The token was replaced or does not match the request.')
  const now = deps.now()
  const audit = { entries: [{ type: 'approval.redeemed', actor: signerId, subject: id, data: { jti: claims.jti, digest: a.digest } }], at: now }
  if (!(await deps.store.approvals.redeem(id, claims.jti, now, [domainEvent('approval.redeemed', id, now, { jti: claims.jti, signer: signerId })], audit))) {
    throw new ProblemError('approval_token_redeemed', 409, { detail: 'This approval was already redeemed.' })
  }
  return claims
}
