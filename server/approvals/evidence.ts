import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { z } from 'zod'
import { zTransactionIntent } from './wire.ts'

const zB64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding')
const zSha256 = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex>')
const zGroup = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)

/** A WebAuthn assertion as the browser returned it (AuthenticationResponseJSON), kept byte for byte. */
export const zEvidenceAssertion = z.strictObject({
  id: zB64url(1366),
  rawId: zB64url(1366),
  type: z.literal('public-key'),
  response: z.strictObject({
    clientDataJSON: zB64url(8192),
    authenticatorData: zB64url(16384),
    signature: zB64url(2048),
    userHandle: zB64url(128).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()),
})

/** One approver's signed decision, with the public key it verifies under. */
export const zEvidenceApproval = z.strictObject({
  userId: z.string().min(1).max(128),
  /** The approver's groups when they decided, per the server's directory. */
  groups: z.array(zGroup).max(64),
  decision: z.enum(['approve', 'reject']),
  /** The 32-byte nonce of this approver's challenge, base64url. */
  nonce: z.string().length(43),
  credential: z.strictObject({
    id: zB64url(1366),
    /** COSE_Key (RFC 9052 §7) as stored at registration, base64url. */
    publicKey: zB64url(2048),
  }),
  assertion: zEvidenceAssertion,
})

/**
 * Everything needed to re-check an approval offline (`GET /v1/approvals/:id/evidence`): the intent and its
 * canonical bytes, the policy texts the requirements came from and the inputs of that decision, and each
 * approver's assertion with its public key. Format version 1.
 */
export const zEvidenceBundle = z.strictObject({
  format: z.literal('sigil-approval-evidence-v1'),
  requestId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  intent: zTransactionIntent,
  /** base64url of canonicalIntent(intent): RFC 8785 JSON. */
  canonicalIntent: zB64url(16384),
  digest: zSha256,
  policy: z.strictObject({
    version: zSha256,
    texts: z.strictObject({
      schema: z.string().max(200_000),
      policies: z.record(z.string().max(64), z.string().max(100_000)).refine((p) => Object.keys(p).length <= 1000, 'at most 1000 policies'),
    }),
  }),
  /** The policy decision's inputs besides the intent, as the server computed them when the request was created. */
  decision: z.strictObject({
    requester: z.strictObject({ type: z.enum(['apiClient', 'user']), id: z.string().min(1).max(128) }),
    decidedAt: z.iso.datetime({ offset: true }),
    approvedLast24h: z.string().max(60),
    /** Absent in bundles from before pending requests were reserved: "0". */
    pendingTotal: z.string().max(60).optional(),
    destinationAllowlisted: z.boolean(),
    requirements: z.array(z.strictObject({ group: zGroup, quorum: z.number().int().min(1).max(99) })).min(1).max(32),
    separationOfDuties: z.boolean(),
    /** The person who asked for the transfer (their approval counts for nothing under separation of duties). */
    initiatorUserId: z.string().min(1).max(128).nullable().optional(),
  }),
  webauthn: z.strictObject({
    rpId: z.string().min(1).max(253),
    origins: z.array(z.url()).min(1).max(16),
  }),
  approvals: z.array(zEvidenceApproval).min(1).max(64),
  /**
   * Travel Rule: the beneficiary's verified presentation linked to the request, when the policy asked for one
   * (`beneficiary_kyc`). What the server recorded when it verified it: the presentation request, when, the
   * credential's issuer and the digest of the disclosed claims (the claims, a name, stay with the originator).
   * Absent in bundles of requests without the condition, and in bundles made before it existed.
   */
  beneficiary: z.strictObject({
    presentationRequestId: z.string().min(1).max(128),
    verifiedAt: z.iso.datetime({ offset: true }),
    issuer: z.string().min(1).max(2048),
    claimsDigest: zSha256,
  }).optional(),
  /**
   * The server's word for everything the passkeys do not sign (decision inputs, who approved under which groups,
   * that no decision was left out): a JWS (ES256, `typ` EVIDENCE_SIGNATURE_TYP, a key of the server's key history)
   * whose payload names the request and the SHA-256 of the RFC 8785 form of the bundle without this member.
   * Absent in bundles made before it existed.
   */
  serverSignature: z.string().max(4096).optional(),
})

export const EVIDENCE_SIGNATURE_TYP = 'sigil-evidence+jwt'

/** `sha256:<hex>` of the RFC 8785 form of a bundle without its serverSignature: what the server signs. */
export function evidenceDigest(bundle: EvidenceBundle): string {
  const { serverSignature: _, ...signed } = bundle
  return `sha256:${createHash('sha256').update(canonicalize(signed)!).digest('hex')}`
}

export type EvidenceBundle = z.output<typeof zEvidenceBundle>
export type EvidenceApproval = z.output<typeof zEvidenceApproval>
