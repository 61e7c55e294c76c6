import { createHash } from 'node:crypto'
import { randomToken } from '../random.ts'
import canonicalize from 'canonicalize'
import { ProblemError } from '../errors.ts'

/** What one approver's passkey signs over, besides the WebAuthn framing. */
export interface ApprovalChallengeInput {
  /** The approval request's id: 1-64 of `A-Z a-z 0-9 _ -`. */
  requestId: string
  /** {@link intentDigest} of the intent: `sha256:<64 lower-case hex>`. */
  digest: string
  /** The policy version the requirements came from: `sha256:<64 lower-case hex>`. */
  policyVersion: string
  decision: 'approve' | 'reject'
  /** 32 fresh random bytes, base64url without padding (43 characters), one per approver and ceremony. */
  nonce: string
}

/** Domain separation tag; a new construction gets a new tag. */
export const APPROVAL_CHALLENGE_TAG = 'sigil-approval-v1'

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/
const SHA256 = /^sha256:[0-9a-f]{64}$/

function invalid(field: string, detail: string): ProblemError {
  return new ProblemError('approval_challenge_invalid', 400, { detail, field })
}

function check(input: ApprovalChallengeInput): void {
  if (typeof input.requestId !== 'string' || !REQUEST_ID.test(input.requestId)) throw invalid('requestId', 'requestId must be 1-64 of A-Z a-z 0-9 _ -.')
  if (typeof input.digest !== 'string' || !SHA256.test(input.digest)) throw invalid('digest', 'digest must be sha256:<64 hex>.')
  if (typeof input.policyVersion !== 'string' || !SHA256.test(input.policyVersion)) throw invalid('policyVersion', 'policyVersion must be sha256:<64 hex>.')
  if (input.decision !== 'approve' && input.decision !== 'reject') throw invalid('decision', 'decision must be approve or reject.')
  const nonce = typeof input.nonce === 'string' ? Buffer.from(input.nonce, 'base64url') : Buffer.alloc(0)
  if (nonce.length !== 32 || nonce.toString('base64url') !== input.nonce) throw invalid('nonce', 'nonce must be 32 bytes, base64url without padding.')
}

/**
 * The WebAuthn challenge for one approver's decision on one request:
 *
 * ```
 * challenge = SHA-256( UTF-8("sigil-approval-v1") || 0x00 ||
 *                      UTF-8( JCS({ "decision": d, "digest": g, "nonce": n, "policyVersion": v, "requestId": r }) ) )
 * ```
 *
 * where JCS is RFC 8785 (members sorted, no whitespace), `d` is `"approve"` or `"reject"`, `g` the intent
 * digest and `v` the policy version (both `sha256:<hex>`), `n` the 32-byte nonce in base64url without
 * padding and `r` the request id. Every value is a JSON string whose alphabet needs no escaping, and the tag
 * cannot contain 0x00, so the encoding is unambiguous. The 32-byte result goes into
 * `PublicKeyCredentialRequestOptions.challenge`; the authenticator then signs
 * `authenticatorData || SHA-256(clientDataJSON)`, and clientDataJSON carries this challenge in base64url
 * (WebAuthn L3 §5.8.1), so the signature covers the request, the exact transaction, the policy and the decision.
 * Throws ProblemError `approval_challenge_invalid` naming the field if an input is malformed.
 */
export function approvalChallenge(input: ApprovalChallengeInput): Uint8Array {
  check(input)
  const body = canonicalize({
    decision: input.decision,
    digest: input.digest,
    nonce: input.nonce,
    policyVersion: input.policyVersion,
    requestId: input.requestId,
  })!
  return new Uint8Array(createHash('sha256').update(APPROVAL_CHALLENGE_TAG, 'utf8').update(Buffer.of(0)).update(body, 'utf8').digest())
}

/**
 * The verify side: {@link approvalChallenge} recomputed from what was recorded, in base64url, the form
 * clientDataJSON carries and SimpleWebAuthn's `expectedChallenge` compares against.
 */
export function expectedApprovalChallenge(input: ApprovalChallengeInput): string {
  return Buffer.from(approvalChallenge(input)).toString('base64url')
}

/** 32 fresh random bytes for {@link ApprovalChallengeInput.nonce}. */
export function newApprovalNonce(): string {
  return randomToken(32)
}
