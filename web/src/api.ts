/**
 * The one way the app talks to the server. Mutations always send a JSON body (`{}` when there is nothing to
 * say) with Content-Type application/json; the browser adds Origin, which the server checks (CSRF defence).
 * Failures become ApiError with the problem's stable `code` (RFC 9457 body), or `network`.
 */

export interface Problem {
  code: string
  status: number
  detail?: string
  field?: string
  [extra: string]: unknown
}

export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly detail: string | undefined
  readonly field: string | undefined
  readonly problem: Problem
  constructor(problem: Problem) {
    super(problem.detail ?? problem.code)
    this.name = 'ApiError'
    this.code = problem.code
    this.status = problem.status
    this.detail = problem.detail
    this.field = problem.field
    this.problem = problem
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { Accept: 'application/json, application/problem+json' } }
  if (method !== 'GET') {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body ?? {})
  }
  let res: Response
  try {
    res = await fetch(path, init)
  } catch {
    throw new ApiError({ code: 'network', status: 0 })
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  if (!res.ok) {
    const p = (json && typeof json === 'object' ? json : {}) as Partial<Problem>
    throw new ApiError({ ...p, code: typeof p.code === 'string' ? p.code : `http_${res.status}`, status: res.status })
  }
  return json as T
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path)
export const post = <T>(path: string, body: unknown = {}): Promise<T> => request<T>('POST', path, body)
export const patch = <T>(path: string, body: unknown): Promise<T> => request<T>('PATCH', path, body)
export const del = (path: string): Promise<void> => request<void>('DELETE', path, {})

// Wire types (server/passkeys/wire.ts is the source of truth; GET /openapi.json documents them).

export interface PublicUser {
  id: string
  handle: string
  displayName: string
  roles: string[]
  createdAt: string
  /** base64url WebAuthn user.id, when the server sends it (used for the Signal API). */
  webauthnUserId?: string
}

export interface SessionInfo {
  ref: string
  kind: 'full' | 'recovery'
  createdAt: string
  lastSeenAt: string
  expiresAt: string
  verifiedAt: string | null
  userAgent: string
  current: boolean
}

export interface Me {
  user: PublicUser
  session: SessionInfo
  passkeyCount: number
  recoveryCodesRemaining: number
  /** The WebAuthn RP ID, when the server sends it. */
  rpId?: string
}

export interface Passkey {
  id: string
  name: string
  authenticatorName: string | null
  aaguid: string
  synced: boolean
  backedUp: boolean
  transports: string[]
  createdAt: string
  lastUsedAt: string | null
}

export interface SignedIn {
  user: PublicUser
  session: SessionInfo
}

export interface RecoveryCodes {
  codes: string[]
  createdAt: string
}

// Signing approval (server/approvals; GET /openapi.json documents them).

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'blocked' | 'expired'
export type ApprovalDecision = 'approve' | 'reject'

export interface TransactionIntent {
  chain: string
  asset: string
  /** Decimal string in the asset's whole units: shown as is, never parsed into a float. */
  amount: string
  source: { walletId: string; accountId?: string }
  destination: string
  memo?: string
  beneficiary?: { name?: string; accountRef?: string; vasp?: string; country?: string }
}

export interface ApprovalPerson {
  userId: string
  displayName: string
}

export interface ApprovalRequirementView {
  group: string
  quorum: number
  approvedBy: ApprovalPerson[]
  missing: number
  reasons: string[]
}

export interface ApprovalRecord extends ApprovalPerson {
  decision: ApprovalDecision
  at: string
  credentialId: string
}

export interface ApprovalView {
  id: string
  kind: 'transfer' | 'policy-change'
  status: ApprovalStatus
  /** The intent in words, from the server. */
  summary: string
  intent: TransactionIntent
  digest: string
  policyVersion: string
  requirements: ApprovalRequirementView[]
  /** Conditions besides the quorum (Travel Rule: `beneficiary_kyc`); approved only when every one is met. */
  conditions: ApprovalConditionView[]
  blocks: { code: string; reason: string; policyId?: string }[]
  separationOfDuties: boolean
  approvals: ApprovalRecord[]
  /** API client id of the signing service that will redeem the token. */
  signer: string | null
  createdAt: string
  expiresAt: string
  /** When it stopped being pending (approved, rejected, expired). */
  settledAt: string | null
  redeemedAt: string | null
  tokenIssued: boolean
  /** For a signed-in person: whether they may decide now, and why not. (API clients get no `me`.) */
  me?: { eligible: boolean; decided: ApprovalDecision | null; reason: string | null; canAskBeneficiary?: boolean }
}

/** A condition besides the quorum: the beneficiary's verified identity (Travel Rule). No personal data, ids and codes only. */
export interface ApprovalConditionView {
  kind: 'beneficiary_kyc'
  reasons: string[]
  met: boolean
  verification?: { presentationRequestId: string; verifiedAt: string; issuer: string; claimsDigest: string }
  /** While unmet: why the beneficiary's last presentation failed (a reason code). */
  lastFailure?: { reason: string; at: string; presentationRequestId: string }
}

/** `POST /v1/approvals/:id/beneficiary-presentation`: an OpenID4VP request for the beneficiary's wallet. */
export interface BeneficiaryPresentationRequest {
  id: string
  approvalId: string
  /** `openid4vp://?…&request=<JWT>`: the request by value, for a wallet on another device. */
  deepLink: string
  /** SVG text generated by the server: shown only as an <img> data URL, never parsed into the page. */
  qrSvg: string
  expiresAt: string
}

// KYC credentials (server/kyc/wire.ts; GET /openapi.json documents them).

/** What `POST /v1/kyc/subjects` returns: the reference offers name. Sigil keeps only its hash: it is a secret. */
export interface KycSubjectCreated {
  subjectRef: string
  expiresAt: string
}

/** `POST /v1/kyc/offers`: the OpenID4VCI credential offer, its URI and QR code, and the PIN when asked for (shown once). */
export interface KycOffer {
  id: string
  offer: Record<string, unknown>
  offerUri: string
  /** SVG text generated by the server: shown only as an <img> data URL, never parsed into the page. */
  qrSvg: string
  txCode?: string
  expiresAt: string
}

export type KycCredentialStatus = 'valid' | 'revoked' | 'suspended'
export type KycStatusAction = 'revoke' | 'suspend' | 'reinstate'

/** An issued credential as the API lists it: ids, type, status and status-list entry, no personal data. */
export interface KycCredentialView {
  id: string
  vct: string
  configurationId: string
  status: KycCredentialStatus
  statusList: { uri: string; idx: number }
  credentialHash: string
  issuedAt: string
  expiresAt: string
  updatedAt: string
}
