/**
 * The store port: one interface per concern. Two adapters implement it (sqlite/, and redis/ in a later
 * issue) and one contract suite (contract/) runs against both.
 *
 * Times are epoch milliseconds chosen by the caller's clock. Expiry decisions are made by the services with
 * their (injectable) clock; adapters only use `expiresAt` to drop records that can no longer matter.
 */

export interface UserRecord {
  id: string
  /** Unique, lower-cased login handle. */
  handle: string
  displayName: string
  /** WebAuthn user.id (base64url of 32 random bytes); never the handle, so it carries no PII. */
  webauthnUserId: string
  roles: string[]
  createdAt: number
}

export type DeviceType = 'singleDevice' | 'multiDevice'

export interface PasskeyRecord {
  /** Credential id, base64url. */
  id: string
  userId: string
  /** COSE public key. ArrayBuffer-backed (not shared), which is what SimpleWebAuthn's verify functions take. */
  publicKey: Uint8Array<ArrayBuffer>
  counter: number
  transports: string[]
  aaguid: string
  deviceType: DeviceType
  backedUp: boolean
  name: string
  attestationFmt: string
  createdAt: number
  lastUsedAt: number | null
}

export type CeremonyKind = 'register' | 'login' | 'add-passkey' | 'reauth' | 'approval' | 'presentation' | 'presentation-object' | 'presentation-result'
  | 'recovery-credential'

export interface CeremonyRecord {
  /** The WebAuthn challenge, base64url; also the record's key. */
  challenge: string
  kind: CeremonyKind
  /** Set for ceremonies started by a signed-in user. */
  userId?: string
  /** Ceremony-specific data, such as the handle and display name of a sign-up. */
  data?: Record<string, unknown>
  expiresAt: number
}

/** A rate limit counted by the same call that does the work it limits (see ChallengeStore.putCounted). */
export interface CountedLimit {
  key: string
  windowMs: number
  now: number
  /** Hits allowed in a window; past it the work is not done. */
  max: number
}

export interface ChallengeStore {
  /** Throws StoreConflictError('id') if the challenge exists; `events` are written with it (transactional outbox). */
  put(ceremony: CeremonyRecord, events?: OutboxEvent[]): Promise<void>
  /**
   * Counts one hit on `limit.key` (as RateLimitStore.hit) and stores the ceremony only if the count is within
   * `limit.max`: one call where a limit and a put would be two round trips. A refused put stores nothing.
   */
  putCounted(ceremony: CeremonyRecord, limit: CountedLimit): Promise<RateLimitHit>
  /** Returns the ceremony and deletes it, atomically: a second call (from any instance) gets undefined. */
  consume(challenge: string): Promise<CeremonyRecord | undefined>
}

/**
 * A domain event (account created, passkey removed, approval granted…). Mutating store methods take the events
 * that describe their change and write them in the same transaction (SQLite) or script (Redis): the
 * transactional outbox. Events carry opaque ids only, never handles, names or other PII.
 */
export interface OutboxEvent {
  /** `evt_…`, unique; webhook receivers deduplicate on it (it is the `webhook-id`). */
  id: string
  type: string
  at: number
  /** The entity the event is about (user id, passkey id, approval id…). */
  subject: string
  data: Record<string, unknown>
}

export interface UserStore {
  /** Creates the user and its first passkey together; throws StoreConflictError('handle' | 'credential'). */
  createWithPasskey(user: UserRecord, passkey: PasskeyRecord, events?: OutboxEvent[]): Promise<void>
  get(id: string): Promise<UserRecord | undefined>
  getByHandle(handle: string): Promise<UserRecord | undefined>
  setRoles(id: string, roles: string[], events?: OutboxEvent[]): Promise<boolean>
}

export interface RecordPasskeyUse {
  /** The passkey's owner, when the caller knows it (saves the Redis adapter a lookup). */
  userId?: string
  /** The counter the caller read; the update only happens if it is still the stored one. */
  expectedCounter: number
  counter: number
  backedUp: boolean
  lastUsedAt: number
}

export type RemovePasskeyResult = 'removed' | 'not_found' | 'last_passkey'

export interface PasskeyWithOwner { passkey: PasskeyRecord; user: UserRecord | undefined }

export interface PasskeyStore {
  /** Throws StoreConflictError('credential') when the id exists. */
  add(passkey: PasskeyRecord, events?: OutboxEvent[]): Promise<void>
  get(id: string): Promise<PasskeyRecord | undefined>
  /**
   * The passkey and the account it belongs to, read in one call (a sign-in's first read): undefined when the
   * credential id is unknown; `user` undefined only if the account is gone.
   */
  getWithOwner(id: string): Promise<PasskeyWithOwner | undefined>
  listByUser(userId: string): Promise<PasskeyRecord[]>
  /** Compare-and-set on the counter; false when another login moved it first. */
  recordUse(id: string, use: RecordPasskeyUse): Promise<boolean>
  rename(userId: string, id: string, name: string, events?: OutboxEvent[]): Promise<boolean>
  /**
   * Removes the passkey unless it is the user's last one, checked and done atomically. With `keep`, only those
   * credential ids count as a way in: the passkey is removed only if another one of them stays (a role that signs in
   * with hardware keys only must keep one; two removals at once cannot each count on the other).
   */
  removeKeepingOne(userId: string, id: string, events?: OutboxEvent[], keep?: readonly string[]): Promise<RemovePasskeyResult>
}

export type SessionKind = 'full' | 'recovery'

export interface SessionRecord {
  /** SHA-256 of the cookie value, base64url: the raw id is never stored. */
  idHash: string
  /** Public, non-secret id used to list and revoke the session. */
  ref: string
  userId: string
  kind: SessionKind
  createdAt: number
  lastSeenAt: number
  /** When the user last passed user verification in this session (login or re-verification). */
  verifiedAt: number
  /**
   * The passkey of that verification (sign-in, re-verification, or a passkey added in this session), so that a role
   * granted later can ask whether it is of a kind the role accepts; '' for none (a recovery session).
   */
  passkeyId: string
  absoluteExpiresAt: number
  userAgent: string
}

export interface SessionPatch {
  lastSeenAt?: number
  verifiedAt?: number
  passkeyId?: string
}

export interface SessionStore {
  create(session: SessionRecord, events?: OutboxEvent[]): Promise<void>
  get(idHash: string): Promise<SessionRecord | undefined>
  /** The session and its user in one read (what every signed-in request needs); `user` is undefined if the user is gone. */
  getWithUser(idHash: string): Promise<{ session: SessionRecord; user: UserRecord | undefined } | undefined>
  update(idHash: string, patch: SessionPatch): Promise<boolean>
  delete(idHash: string): Promise<boolean>
  deleteByRef(userId: string, ref: string, events?: OutboxEvent[]): Promise<boolean>
  /** Deletes every session of the user (but `exceptIdHash`); returns how many. */
  deleteAllForUser(userId: string, exceptIdHash?: string, events?: OutboxEvent[]): Promise<number>
  listByUser(userId: string): Promise<SessionRecord[]>
}

export interface RecoveryCodeSet {
  /** Per-user scrypt salt, base64url. */
  salt: string
  /** scrypt(code, salt), base64url, one per code. */
  hashes: string[]
  createdAt: number
}

export interface RecoveryCodeStore {
  /** Replaces every code of the user with a new set. */
  replace(userId: string, set: RecoveryCodeSet, events?: OutboxEvent[]): Promise<void>
  getSalt(userId: string): Promise<string | undefined>
  /** Marks the code used if it exists and is unused, atomically; true only for the one caller that did. */
  consume(userId: string, hash: string, usedAt: number, events?: OutboxEvent[]): Promise<boolean>
  remaining(userId: string): Promise<number>
}

export interface ApiClientRecord {
  id: string
  name: string
  roles: string[]
  /** SHA-256 of the secret key, base64url (the key is 256-bit random, so a fast hash is enough). */
  keyHash: string
  createdAt: number
  revokedAt: number | null
}

export interface ApiClientStore {
  create(client: ApiClientRecord, events?: OutboxEvent[]): Promise<void>
  get(id: string): Promise<ApiClientRecord | undefined>
  getByKeyHash(keyHash: string): Promise<ApiClientRecord | undefined>
  list(): Promise<ApiClientRecord[]>
  revoke(id: string, at: number, events?: OutboxEvent[]): Promise<boolean>
}

export interface RateLimitHit {
  count: number
  resetAt: number
}

export interface RateLimitStore {
  /** Counts one hit in the fixed window that contains `now`; atomic across instances. */
  hit(key: string, windowMs: number, now: number): Promise<RateLimitHit>
}

export interface StoredResponse {
  status: number
  contentType: string
  body: string
}

export type IdempotencyBegin =
  | { state: 'new' }
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; response: StoredResponse }

export interface IdempotencyStore {
  /**
   * Claims the key atomically; if it was already claimed, says by whom (fingerprint) and with what result. With
   * `leaseMs`, a claim still pending that long after it was made (its process died mid-request: nothing will ever
   * complete it) is taken over by a caller with the same fingerprint, atomically: 'new' again, for that caller only.
   */
  begin(key: string, fingerprint: string, now: number, ttlMs: number, leaseMs?: number): Promise<IdempotencyBegin>
  complete(key: string, response: StoredResponse): Promise<void>
  /** Releases a claim whose request failed so that a retry can run. */
  abandon(key: string): Promise<void>
}

export interface AuditInput {
  type: string
  /** Opaque ids only (user id, client id, "system"); never handles, names or addresses. */
  actor?: string
  subject?: string
  data?: Record<string, unknown>
}

export interface AuditEntry extends Required<Omit<AuditInput, 'data'>> {
  seq: number
  at: number
  data: Record<string, unknown>
  prevHash: string
  hash: string
}

export interface AuditStore {
  /** Appends an entry chained to the previous one (see auditHash.ts). */
  append(input: AuditInput, at: number): Promise<AuditEntry>
  list(opts: { afterSeq?: number; limit: number }): Promise<AuditEntry[]>
  /** The newest entry of this type, read backwards from the head (for types written often, such as checkpoints). */
  latestOfType(type: string): Promise<AuditEntry | undefined>
}

export interface OutboxStore {
  /** Writes events that go with no other stored change. */
  publish(events: OutboxEvent[]): Promise<void>
  /**
   * Hands up to `limit` pending events, oldest first, to `handle` and removes them once it resolves. At least
   * once: a crash between the two hands them on again, so `handle` must be idempotent. Returns how many.
   */
  drain(handle: (events: OutboxEvent[]) => Promise<void>, limit: number): Promise<number>
  /** Events written but not yet drained. */
  pending(): Promise<number>
}

export interface WebhookSubscription {
  /** `wh_…` */
  id: string
  url: string
  description: string
  /** Event types delivered; `['*']` for all. */
  eventTypes: string[]
  /** `whsec_…` (Standard Webhooks); kept to sign, shown once at creation. */
  secret: string
  createdAt: number
  disabledAt: number | null
}

export interface WebhookSubscriptionPatch {
  url?: string
  description?: string
  eventTypes?: string[]
  disabledAt?: number | null
}

export type DeliveryState = 'pending' | 'delivered' | 'dead'

export interface WebhookDelivery {
  /** `dlv_…`, derived from the event and subscription ids, so handing an event on twice makes one delivery. */
  id: string
  subscriptionId: string
  event: OutboxEvent
  state: DeliveryState
  attempts: number
  /** Due time while pending; a claim moves it to the end of the claimer's lease. */
  nextAttemptAt: number
  lastAttemptAt: number | null
  lastStatus: number | null
  lastError: string | null
  createdAt: number
}

export interface DeliveryOutcome {
  state: DeliveryState
  attempts: number
  nextAttemptAt: number
  lastAttemptAt: number
  lastStatus: number | null
  lastError: string | null
}

export interface DeliveryFilter {
  subscriptionId?: string
  state?: DeliveryState
  limit: number
}

export interface ClaimDueOptions {
  /** A subscription with this many deliveries leased (by any instance) gets no more until one is settled. */
  perSubscription?: number
}

export interface WebhookStore {
  createSubscription(sub: WebhookSubscription): Promise<void>
  getSubscription(id: string): Promise<WebhookSubscription | undefined>
  listSubscriptions(): Promise<WebhookSubscription[]>
  updateSubscription(id: string, patch: WebhookSubscriptionPatch): Promise<WebhookSubscription | undefined>
  /** Deletes the subscription and its deliveries. */
  deleteSubscription(id: string): Promise<boolean>
  /** Adds the deliveries whose id is not known yet. */
  enqueue(deliveries: WebhookDelivery[]): Promise<void>
  /**
   * Takes up to `limit` pending deliveries due at `now` and leases each until `now + leaseMs` (its nextAttemptAt
   * moves there), atomically: no other instance gets them while the lease runs; after it they are due again.
   * Deliveries go by due time, then in the order they were enqueued (event order). Per entity order: a delivery
   * is not taken while another of the same subscription and event subject is leased, nor behind an earlier due
   * one of that subject, so one entity has at most one delivery in flight. A delivery waiting for its retry does
   * not hold the entity's later ones back.
   */
  claimDue(now: number, leaseMs: number, limit: number, options?: ClaimDueOptions): Promise<WebhookDelivery[]>
  /** Records an attempt, only if the lease `leaseUntil` is still the delivery's (no one took it over); ends the lease. */
  settle(id: string, leaseUntil: number, outcome: DeliveryOutcome): Promise<boolean>
  getDelivery(id: string): Promise<WebhookDelivery | undefined>
  /** Newest first. */
  listDeliveries(filter: DeliveryFilter): Promise<WebhookDelivery[]>
  /** Makes dead deliveries (of one subscription, or one delivery) pending and due at `now`; returns how many. */
  replay(filter: { subscriptionId?: string; deliveryId?: string }, now: number): Promise<number>
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'blocked' | 'expired'

/** One approver's signed decision, kept whole so that anyone can re-check it (the evidence bundle). */
export interface ApprovalDecisionRecord {
  userId: string
  /**
   * The approver's display name when they decided (display names never change; kept so that showing a request
   * needs no user lookups). Absent on decisions recorded before it was kept: those are looked up.
   */
  displayName?: string
  /** The approver's groups when they decided. */
  groups: string[]
  decision: 'approve' | 'reject'
  /** The fresh nonce bound into this approver's challenge, base64url. */
  nonce: string
  at: number
  credentialId: string
  /** COSE public key of the passkey, base64url. */
  publicKey: string
  /** The WebAuthn assertion as the browser sent it (AuthenticationResponseJSON). */
  assertion: Record<string, unknown>
}

export interface ApprovalPolicyDecision {
  requester: { type: 'apiClient' | 'user'; id: string }
  decidedAt: number
  /** Velocity input: amount of the same asset approved for the wallet in the 24 h before. */
  approvedLast24h: string
  /** Velocity input: amount of the same asset the wallet's other pending requests reserved; absent on older records ("0"). */
  pendingTotal?: string
  destinationAllowlisted: boolean
  requirements: { group: string; quorum: number; reasons: string[]; policyIds: string[] }[]
  /** Conditions besides the quorum (`@requirement` permits), such as `beneficiary_kyc`; absent on older records. */
  conditions?: { kind: 'beneficiary_kyc'; reasons: string[]; policyIds: string[] }[]
  separationOfDuties: boolean
  blocks: { code: string; reason: string; policyId?: string }[]
}

/**
 * Travel Rule: the verified KYC presentation of a transfer's beneficiary, linked to the request. The claims are
 * the minimal set the originator must hold about the beneficiary (name; FATF R.16, EU TFR Art. 14) and stay on
 * this record only; audit entries and events carry `claimsDigest`.
 */
export interface BeneficiaryVerificationRecord {
  /** The OpenID4VP request (`pr_…`) the beneficiary's wallet answered. */
  presentationRequestId: string
  verifiedAt: number
  /** The credential's issuer (a DID). */
  issuer: string
  /**
   * `sha256:<hex>` of the RFC 8785 form of `{claims, salt}`: a commitment to the verified claims that audit entries,
   * events and evidence carry. Salted, so that a reader who guesses a name cannot confirm it (a plain hash of a few
   * name fields is a dictionary lookup). Records from before the salt have a digest of the claims alone.
   */
  claimsDigest: string
  /** 128 random bits, base64url; kept on this record only, with the claims. */
  claimsSalt?: string
  claims: Record<string, unknown>
}

/** A request to sign something (a transfer) or to change the policy set, and everything decided about it. */
export interface ApprovalRecord {
  /** `apr_…` */
  id: string
  kind: 'transfer' | 'policy-change'
  status: ApprovalStatus
  /** Transfer: the transaction intent. Policy change: `{ policies: { id: text } }`. */
  intent: Record<string, unknown>
  /** `sha256:<hex>` of the intent's RFC 8785 bytes. */
  digest: string
  policyVersion: string
  decision: ApprovalPolicyDecision
  /** Who asked: an API client id, or a user id for policy changes. */
  requestedBy: string
  /** The user on whose behalf the request was made, when known (separation of duties). */
  initiatorUserId: string | null
  /** The signing service's API client id: the approval token's audience. */
  signer: string | null
  /** Velocity keys (empty for policy changes). */
  walletId: string
  asset: string
  amount: string
  createdAt: number
  expiresAt: number
  /** When the request was approved or rejected. */
  settledAt: number | null
  decisions: ApprovalDecisionRecord[]
  token: { jti: string; issuedAt: number; expiresAt: number } | null
  redeemedAt: number | null
  /** Set once, by a compare-and-set update, when the beneficiary's presentation verifies (Travel Rule); absent or null before. */
  beneficiary?: BeneficiaryVerificationRecord | null
  /**
   * The last beneficiary presentation for this request that failed (verification, sanctions or name check), by
   * compare-and-set: the presentation request and a reason code only, never a claim. Absent or null when none failed.
   */
  beneficiaryFailure?: { presentationRequestId: string; reason: string; at: number } | null
  /** Compare-and-set version: each update must name the version it read. */
  version: number
}

/**
 * Audit entries a store write adds only when it changed something, appended in order at `at`: in the write's own
 * transaction where the store has one (SQLite), right after the write otherwise (Redis, whose audit log lives in
 * another slot). One round trip where there were two, and on SQLite no state change without its entry.
 */
export interface AuditWrite {
  entries: AuditInput[]
  at: number
}

export interface ApprovalStore {
  create(approval: ApprovalRecord, events?: OutboxEvent[], audit?: AuditWrite): Promise<void>
  get(id: string): Promise<ApprovalRecord | undefined>
  /** Replaces the record if its stored version is still `next.version - 1`; false when another writer won. */
  update(next: ApprovalRecord, events?: OutboxEvent[], audit?: AuditWrite): Promise<boolean>
  /** Pending requests, newest first (expired ones too: callers decide expiry with their clock). */
  listPending(limit: number): Promise<ApprovalRecord[]>
  /** Recent requests of any status, newest first. */
  listRecent(limit: number): Promise<ApprovalRecord[]>
  /** Marks the approved request's token `jti` redeemed; true for exactly one caller, ever. */
  redeem(id: string, jti: string, at: number, events?: OutboxEvent[], audit?: AuditWrite): Promise<boolean>
  /** Amounts of the wallet's approved transfers of `asset` settled at or after `since` (velocity). */
  approvedAmounts(walletId: string, asset: string, since: number): Promise<string[]>
  /**
   * Amounts of the wallet's transfers of `asset` still pending and not expired at `now`: reserved in the velocity
   * total, so that several requests opened before any is approved cannot each stay under a daily limit.
   */
  pendingAmounts(walletId: string, asset: string, now: number): Promise<string[]>
}

export interface PolicySetRecord {
  version: string
  /** The schema and each policy's text by id. */
  texts: { schema: string; policies: Record<string, string> }
  activatedAt: number
  /** The policy-change approval that put it in force. */
  approvalId: string | null
}

export interface PolicySetStore {
  getActive(): Promise<PolicySetRecord | undefined>
  /** Any set that was ever active, by version (evidence of old requests names theirs). */
  getVersion(version: string): Promise<PolicySetRecord | undefined>
  /** Puts `set` in force if the active version is still `expectedVersion` (null: none stored yet). */
  activate(set: PolicySetRecord, expectedVersion: string | null, events?: OutboxEvent[]): Promise<boolean>
}

/** Verified KYC data waiting to be issued as a credential (issue 7). */
export interface KycSubjectRecord {
  /** SHA-256 (base64url) of the subject reference: the reference itself is a bearer secret and is not stored. */
  refHash: string
  /** The KYC data, AES-256-GCM sealed under a key derived from the reference; null once erased after issuance. */
  sealed: string | null
  /** Who submitted it: a user or API client id. */
  submittedBy: string
  createdAt: number
  /** Dropped (with its data) at this time if never issued. */
  expiresAt: number
}

/** A credential offer's pre-authorized code, kept hashed; taken once by the token endpoint. */
export interface KycOfferRecord {
  /** `kof_…`, for audit entries and events. */
  id: string
  /** SHA-256 (base64url) of the pre-authorized code. */
  codeHash: string
  /** The subject reference, sealed under a key derived from the pre-authorized code. */
  sealedRef: string
  subjectRefHash: string
  configurationIds: string[]
  /** SHA-256 (base64url) of the transaction code (PIN), when the offer needs one. */
  txCodeHash: string | null
  /** Wrong transaction codes tried so far (the offer is put back after a wrong one, up to a limit). */
  failedTxCodes: number
  createdBy: string
  createdAt: number
  expiresAt: number
}

/** An access token of the credential endpoint, kept hashed; bound to the offer it was exchanged for. */
export interface KycAccessTokenRecord {
  /** SHA-256 (base64url) of the token. */
  tokenHash: string
  offerId: string
  /** The subject reference, sealed under a key derived from the access token. */
  sealedRef: string
  subjectRefHash: string
  configurationIds: string[]
  expiresAt: number
}

export type KycCredentialStatus = 'valid' | 'revoked' | 'suspended'

/** What is kept about an issued credential: hashes, type and status entry, no PII. */
export interface KycCredentialRecord {
  /** `kcr_…` */
  id: string
  subjectRefHash: string
  /** SHA-256 (base64url) of the issued credential as sent. */
  credentialHash: string
  vct: string
  configurationId: string
  statusListId: string
  statusIndex: number
  status: KycCredentialStatus
  issuedAt: number
  expiresAt: number
  updatedAt: number
  /**
   * The Sigil account (user id) whose full session collected the credential from the web wallet, for recovery by
   * credential; absent when it was collected outside a signed-in browser. Set once at issuance, never changed.
   */
  accountId?: string
}

export interface KycStore {
  /** Throws StoreConflictError('id') if the reference hash is known. */
  putSubject(subject: KycSubjectRecord, events?: OutboxEvent[]): Promise<void>
  getSubject(refHash: string): Promise<KycSubjectRecord | undefined>
  /** Drops the sealed data (issuance done); true if there was data to drop. */
  eraseSubject(refHash: string, events?: OutboxEvent[]): Promise<boolean>
  createOffer(offer: KycOfferRecord, events?: OutboxEvent[]): Promise<void>
  /** Returns the offer and deletes it, atomically: of any number of callers, one gets it. */
  consumeOffer(codeHash: string): Promise<KycOfferRecord | undefined>
  putAccessToken(token: KycAccessTokenRecord, events?: OutboxEvent[]): Promise<void>
  getAccessToken(tokenHash: string): Promise<KycAccessTokenRecord | undefined>
  /** Returns the token and deletes it, atomically (one credential per access token). */
  consumeAccessToken(tokenHash: string): Promise<KycAccessTokenRecord | undefined>
  /** A c_nonce, single use. */
  putNonce(nonce: string, expiresAt: number): Promise<void>
  /** The nonce's expiry, deleting it atomically; undefined if unknown or already used. */
  consumeNonce(nonce: string): Promise<number | undefined>
  /**
   * Records an issued credential and claims its status-list entry (list id, index) in one atomic step.
   * False, writing nothing, when another credential holds that entry.
   */
  createCredential(credential: KycCredentialRecord, events?: OutboxEvent[]): Promise<boolean>
  getCredential(id: string): Promise<KycCredentialRecord | undefined>
  /** The credential holding a status-list entry (each entry goes to one credential only, for good). */
  getCredentialByStatusEntry(listId: string, index: number): Promise<KycCredentialRecord | undefined>
  /** Credentials issued about one subject, newest first. */
  listCredentials(subjectRefHash: string, limit: number): Promise<KycCredentialRecord[]>
  /** Moves the status from one of `from` to `to`, atomically; the updated record, or undefined when it was not in `from`. */
  setCredentialStatus(id: string, from: KycCredentialStatus[], to: KycCredentialStatus, at: number, events?: OutboxEvent[]): Promise<KycCredentialRecord | undefined>
  /** The entries of a status list that are not valid. */
  statusEntries(listId: string): Promise<{ index: number; status: KycCredentialStatus }[]>
  /** How many entries of a status list are taken. */
  statusListUsage(listId: string): Promise<number>
}

export interface Store {
  readonly kind: string
  challenges: ChallengeStore
  users: UserStore
  passkeys: PasskeyStore
  sessions: SessionStore
  recovery: RecoveryCodeStore
  apiClients: ApiClientStore
  rateLimits: RateLimitStore
  idempotency: IdempotencyStore
  audit: AuditStore
  outbox: OutboxStore
  webhooks: WebhookStore
  approvals: ApprovalStore
  policySets: PolicySetStore
  kyc: KycStore
  /** Throws if the backing store cannot be reached. */
  ping(): Promise<void>
  close(): Promise<void>
}
