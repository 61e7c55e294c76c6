import { z } from 'zod'
import {
  approvalOptions, BENEFICIARY_CLAIMS, beneficiaryRequestFor, canSee, createTransferApproval, decide, evidenceBundle, expireIfDue, issueApprovalToken,
  loadApproval, proposePolicyChange, policySourceFor, redeemApprovalToken, simulateTransfer, TRAVEL_RULE_VERIFIER, viewOf, zApprovalIdParams,
  zApprovalOptionsRequest, zApprovalView, zBeneficiaryPresentationRequest, zCreateApprovalRequest, zPolicyChangeRequest, zRedeemRequest, zSimulateRequest,
} from '../../approvals/index.ts'
import { zLoginVerifyRequest, zRequestOptions } from '../../passkeys/index.ts'
import { createPresentationRequest, zCreatePresentationResponse } from '../../presentations/index.ts'
import type { Principal } from '../../deps.ts'
import { clientBucket } from '../middleware/rateLimit.ts'
import { ProblemError } from '../problem.ts'
import { sessionPrincipal, type Api } from '../route.ts'
import { ASSERTION_ERRORS } from './passkeys.ts'

const zListQuery = z.strictObject({ scope: z.enum(['waiting', 'all']).default('waiting'), limit: z.coerce.number().int().min(1).max(200).default(50) })
const VIEW_ERRORS = ['unauthenticated', 'approval_not_found']
const DECIDE_ERRORS = ['unauthenticated', 'approval_not_found', 'approval_expired', 'approval_not_pending', 'approval_not_eligible',
  'approval_initiator_forbidden', 'approval_already_decided']

const client = (p: Principal) => {
  if (p.kind !== 'client') throw new ProblemError('unauthenticated', 401)
  return p.client
}

export function approvalRoutes(api: Api): void {
  api.add({
    method: 'post', path: '/v1/approvals', operationId: 'createApproval', tag: 'Approvals', auth: 'client', roles: ['wallet-backend'], status: 201,
    summary: 'Open an approval request for a transaction intent; the policy decides who must approve (or blocks it)',
    description: 'The intent is canonicalised with RFC 8785 and hashed (SHA-256): the digest every approval, token and evidence bundle binds to. `signer` is the API client id of the signing service that will redeem the token. Requests expire after `expiresInSeconds` (default 900).',
    body: zCreateApprovalRequest, response: zApprovalView,
    errors: ['unauthenticated', 'client_role_forbidden', 'request_invalid', 'signer_unknown', 'initiator_unknown'],
    handler: async ({ deps, principal, body }) => viewOf(deps, await createTransferApproval(deps, client(principal).id, body)),
  })
  api.add({
    method: 'get', path: '/v1/approvals', operationId: 'listApprovals', tag: 'Approvals', auth: 'session-or-client',
    summary: 'Requests waiting for me (signed-in approver), or recent requests I can see (?scope=all; API clients: theirs)',
    query: zListQuery, response: z.object({ approvals: z.array(zApprovalView) }), errors: ['unauthenticated', 'request_invalid'],
    handler: async ({ deps, principal, query: q }) => {
      const waiting = q.scope === 'waiting' && principal.kind === 'session'
      const list = waiting ? await deps.store.approvals.listPending(500) : await deps.store.approvals.listRecent(500)
      const views = []
      for (const a of list) {
        if (!canSee(a, principal)) continue
        const v = await viewOf(deps, a, principal)
        if (waiting && !v.me?.eligible) continue
        views.push(v)
        if (views.length >= q.limit) break
      }
      return { approvals: views }
    },
  })
  api.add({
    method: 'get', path: '/v1/approvals/:id', operationId: 'getApproval', tag: 'Approvals', auth: 'session-or-client',
    summary: 'What will be signed, in words and in full, with its digest, policy version, requirements and approvals so far',
    params: zApprovalIdParams, response: zApprovalView, errors: VIEW_ERRORS,
    handler: async ({ deps, principal, params }) => viewOf(deps, await expireIfDue(deps, await loadApproval(deps, params.id, principal)), principal),
  })
  api.add({
    method: 'post', path: '/v1/approvals/:id/options', operationId: 'approvalOptions', tag: 'Approvals', auth: 'session', rateLimit: true,
    summary: 'Start approving (or rejecting): request options whose challenge is bound to this exact request and decision',
    description: 'challenge = SHA-256("sigil-approval-v1" || 0x00 || JCS({decision, digest, nonce, policyVersion, requestId})); allowCredentials lists only my passkeys; user verification is required.',
    params: zApprovalIdParams, body: zApprovalOptionsRequest, response: zRequestOptions, errors: [...DECIDE_ERRORS, 'rate_limited'],
    handler: async ({ deps, principal, params, body }) => {
      const { user } = sessionPrincipal(principal)
      return approvalOptions(deps, user, await loadApproval(deps, params.id, principal), body.decision)
    },
  })
  for (const [path, decision] of [['verify', 'approve'], ['reject', 'reject']] as const) {
    api.add({
      method: 'post', path: `/v1/approvals/:id/${path}`, operationId: decision === 'approve' ? 'approveApproval' : 'rejectApproval', tag: 'Approvals',
      auth: 'session', ceremony: `approval-${decision}`,
      summary: decision === 'approve' ? 'Approve with a passkey: the assertion over the bound challenge is recorded as evidence'
        : 'Reject with a passkey (options asked with decision "reject"); a rejection by a required group ends the request',
      params: zApprovalIdParams, body: zLoginVerifyRequest, response: zApprovalView,
      errors: [...DECIDE_ERRORS, ...ASSERTION_ERRORS, 'approval_decision_mismatch'],
      handler: async ({ deps, req, principal, params, body }) => {
        const { user } = sessionPrincipal(principal)
        const a = await loadApproval(deps, params.id, principal)
        return viewOf(deps, await decide(deps, user, a, body.response, decision, clientBucket(req.ip)), principal)
      },
    })
  }
  api.add({
    method: 'post', path: '/v1/approvals/:id/beneficiary-presentation', operationId: 'requestBeneficiaryPresentation', tag: 'Approvals',
    auth: 'session-or-client', status: 201,
    summary: 'Travel Rule: an OpenID4VP request for the beneficiary\'s KYC presentation, linked to this approval request (deep link and QR code)',
    description: 'Only when the request\'s policy asks for a verified beneficiary (`conditions` holds `beneficiary_kyc`) and none is linked yet. '
      + `The claims are fixed by Sigil: ${BENEFICIARY_CLAIMS.join(', ')}. When the beneficiary's wallet posts a presentation that verifies (trusted issuer, `
      + 'status, key binding to this request\'s nonce), it is linked to the approval (`approval.beneficiary_verified` event) and, if the quorum is '
      + 'already met, the request is approved. Asked by the wallet backend that made the request, its initiator or its approvers.',
    params: zApprovalIdParams, body: zBeneficiaryPresentationRequest, response: zCreatePresentationResponse.extend({ approvalId: z.string() }),
    errors: [...VIEW_ERRORS, 'request_invalid', 'approval_not_pending', 'beneficiary_kyc_not_required', 'beneficiary_kyc_already_verified'],
    handler: async ({ deps, principal, params, body }) => {
      const { approval, expiresInSeconds } = await beneficiaryRequestFor(deps, params.id, principal)
      const created = await createPresentationRequest(deps, TRAVEL_RULE_VERIFIER, [...BENEFICIARY_CLAIMS], expiresInSeconds, body.responseMode, approval.id)
      return { ...created, approvalId: approval.id }
    },
  })
  api.add({
    method: 'get', path: '/v1/approvals/:id/token', operationId: 'getApprovalToken', tag: 'Approvals', auth: 'client', roles: ['wallet-backend'],
    summary: 'The approval token (ES256 JWS, typ sigil-approval+jwt, exp ≤ 5 min) for the signing service, once the quorum is met',
    response: z.object({ token: z.string(), jti: z.string(), expiresAt: z.iso.datetime() }), params: zApprovalIdParams,
    errors: [...VIEW_ERRORS, 'client_role_forbidden', 'approval_not_approved', 'approval_token_redeemed', 'approval_expired', 'approval_blocked', 'approval_quorum_lost'],
    handler: async ({ deps, principal, params, res }) => {
      const a = await loadApproval(deps, params.id, principal)
      if (a.requestedBy !== client(principal).id) throw new ProblemError('approval_not_found', 404, { field: 'id' })
      const t = await issueApprovalToken(deps, a)
      res.setHeader('Cache-Control', 'no-store')
      return { token: t.token, jti: t.jti, expiresAt: new Date(t.expiresAt).toISOString() }
    },
  })
  api.add({
    method: 'post', path: '/v1/approvals/:id/redeem', operationId: 'redeemApproval', tag: 'Approvals', auth: 'client', roles: ['signing-service'],
    // Counted with its outcome: a rise in approval_token_redeemed or approval_token_invalid is a signer being replayed to.
    ceremony: 'approval-redeem',
    summary: 'Spend the approval token before signing: 200 once, 409 ever after (atomic on every store)',
    params: zApprovalIdParams, body: zRedeemRequest,
    response: z.object({ redeemed: z.literal(true), id: z.string(), jti: z.string(), intentDigest: z.string(), approvers: z.array(z.string()) }),
    errors: [...VIEW_ERRORS, 'client_role_forbidden', 'approval_token_invalid', 'approval_token_expired', 'approval_token_redeemed'],
    handler: async ({ deps, principal, params, body }) => {
      const c = await redeemApprovalToken(deps, client(principal).id, params.id, body.token)
      return { redeemed: true as const, id: c.sub, jti: c.jti, intentDigest: c.intent_digest, approvers: c.approvers }
    },
  })
  api.add({
    method: 'get', path: '/v1/approvals/:id/evidence', operationId: 'getApprovalEvidence', tag: 'Approvals', auth: 'session-or-client',
    summary: 'The evidence bundle: intent and canonical bytes, policy texts, each approver\'s assertion and public key',
    description: 'Re-check it offline, without the server: `npm run sigil -- evidence verify bundle.json`.',
    params: zApprovalIdParams, response: z.record(z.string(), z.unknown()), errors: [...VIEW_ERRORS, 'approval_no_evidence'],
    handler: async ({ deps, principal, params }) => evidenceBundle(deps, await loadApproval(deps, params.id, principal)),
  })
  api.add({
    method: 'post', path: '/v1/policies/simulate', operationId: 'simulatePolicy', tag: 'Policies', auth: 'client', roles: ['wallet-backend'],
    summary: 'What an intent would need (groups and quorum) or why it would be blocked, creating nothing',
    body: zSimulateRequest,
    response: z.object({ outcome: z.enum(['approval_required', 'blocked']), policyVersion: z.string(), digest: z.string(),
      requirements: z.array(z.record(z.string(), z.unknown())), conditions: z.array(z.record(z.string(), z.unknown())), separationOfDuties: z.boolean(), blocks: z.array(z.record(z.string(), z.unknown())),
      approvedLast24h: z.string(), pendingTotal: z.string() }),
    errors: ['unauthenticated', 'client_role_forbidden', 'request_invalid'],
    handler: async ({ deps, principal, body }) => simulateTransfer(deps, client(principal).id, body.intent, body.initiatorUserId),
  })
  api.add({
    method: 'get', path: '/v1/policies', operationId: 'getPolicies', tag: 'Policies', auth: 'session', roles: ['policy-admin', 'auditor', 'treasury', 'risk'],
    summary: 'The policy set in force: version and each policy\'s Cedar text',
    response: z.object({ version: z.string(), schema: z.string(), policies: z.record(z.string(), z.string()) }),
    errors: ['unauthenticated', 'role_forbidden'],
    handler: async ({ deps }) => {
      const engine = await policySourceFor(deps.store).current()
      return { version: engine.version, schema: engine.texts.schema, policies: engine.texts.policies }
    },
  })
  api.add({
    method: 'post', path: '/v1/policies/changes', operationId: 'proposePolicyChange', tag: 'Policies', auth: 'session', roles: ['policy-admin'], status: 201,
    summary: 'Propose a new policy set: it is itself an approval request (ChangePolicy), in force once the policy-admin quorum approves',
    body: zPolicyChangeRequest, response: zApprovalView, errors: ['unauthenticated', 'role_forbidden', 'request_invalid', 'policy_invalid'],
    handler: async ({ deps, principal, body }) => {
      const { user } = sessionPrincipal(principal)
      return viewOf(deps, await proposePolicyChange(deps, user, body.policies, body.expiresInSeconds), principal)
    },
  })
}
