/**
 * How long after a record's own expiry its key is kept: the services decide expiry with their (injectable)
 * clock, which may lag Redis's, so the key TTL is only garbage collection, as in the SQLite adapter.
 */
export const GRACE_MS = 10 * 60_000

/** The PXAT / PEXPIREAT argument for a record that expires at `expiresAt` (epoch ms). */
export function keyExpiry(expiresAt: number): string {
  return String(Math.max(1, Math.trunc(expiresAt + GRACE_MS)))
}

/**
 * The key layout. Every key has a hash tag (`{...}`), and the keys one script or reservation step touches
 * share it, so they live in one Redis Cluster slot: `{u:<userId>}` for everything an account owns, and one tag
 * per entity for global indexes and unaccompanied records. Only the first `{...}` of a key is its tag, so ids
 * containing braces still keep all of one account's keys in one slot.
 */
export function keyspace(prefix: string) {
  if (/[{}]/.test(prefix)) throw new Error(`redis key prefix must not contain braces: ${prefix}`)
  const p = prefix
  const account = (userId: string) => `${p}:{u:${userId}}`
  return {
    user: (id: string) => `${account(id)}:user`,
    passkeys: (userId: string) => `${account(userId)}:passkeys`,
    passkeyPrefix: (userId: string) => `${account(userId)}:passkey:`,
    passkey: (userId: string, id: string) => `${account(userId)}:passkey:${id}`,
    sessions: (userId: string) => `${account(userId)}:sessions`,
    sessionPrefix: (userId: string) => `${account(userId)}:session:`,
    session: (userId: string, idHash: string) => `${account(userId)}:session:${idHash}`,
    recovery: (userId: string) => `${account(userId)}:recovery`,
    recoveryUnused: (userId: string) => `${account(userId)}:recovery:unused`,
    recoveryUsed: (userId: string) => `${account(userId)}:recovery:used`,
    /** handle → user id */
    handle: (handle: string) => `${p}:{h:${handle}}`,
    /** credential id → user id */
    credential: (id: string) => `${p}:{cred:${id}}`,
    /** session idHash → user id */
    sessionId: (idHash: string) => `${p}:{s:${idHash}}`,
    /** session ref → idHash */
    sessionRef: (ref: string) => `${p}:{ref:${ref}}`,
    challenge: (challenge: string) => `${p}:{c:${challenge}}`,
    apiClient: (id: string) => `${p}:{ac:${id}}`,
    /** API key hash → client id */
    apiKeyHash: (keyHash: string) => `${p}:{kh:${keyHash}}`,
    apiClientIds: () => `${p}:{apiclients}`,
    rateLimit: (key: string, windowStart: number) => `${p}:{rl:${key}}:${windowStart}`,
    idempotency: (key: string) => `${p}:{idem:${key}}`,
    approval: (id: string) => `${p}:{ap:${id}}`,
    approvalsPending: () => `${p}:{approvals}:pending`,
    approvalsRecent: () => `${p}:{approvals}:recent`,
    /** Approved amounts of a wallet and asset, scored by settle time. */
    velocity: (walletId: string, asset: string) => `${p}:{vel:${walletId}|${asset}}`,
    /** Pending transfers of a wallet and asset (members id|amount, scored by expiry): reserved in velocity. */
    velocityPending: (walletId: string, asset: string) => `${p}:{vel:${walletId}|${asset}}:pending`,
    policySet: () => `${p}:{policyset}`,
    /** KYC subject by reference hash; offers, access tokens and c_nonces each under their own tag (single use). */
    kycSubject: (refHash: string) => `${p}:{ks:${refHash}}`,
    kycOffer: (codeHash: string) => `${p}:{ko:${codeHash}}`,
    kycToken: (tokenHash: string) => `${p}:{kt:${tokenHash}}`,
    kycNonce: (nonce: string) => `${p}:{kn:${nonce}}`,
    /**
     * A status list and the credentials on it share one tag, so claiming an entry with its record, and a status
     * change with the list entry, are each one script: entries (index → credential id), statuses (index → status,
     * non-valid only), and one hash per credential.
     */
    kycListEntries: (listId: string) => `${p}:{sl:${listId}}:entries`,
    kycListStatuses: (listId: string) => `${p}:{sl:${listId}}:statuses`,
    kycCredential: (listId: string, id: string) => `${p}:{sl:${listId}}:cred:${id}`,
    /** credential id → status list id */
    kycCredentialList: (id: string) => `${p}:{kc:${id}}`,
    /** Credential ids (`listId|id`) of a subject, scored by issue time. */
    kycBySubject: (refHash: string) => `${p}:{ksub:${refHash}}`,
    auditLog: () => `${p}:{audit}:log`,
    /** The outbox stream beside a record: same hash tag, so one script writes both. */
    outboxOf: (recordKey: string) => `${recordKey.slice(0, recordKey.indexOf('}') + 1)}:outbox`,
    /** Outbox of events that go with no record. */
    outboxSystem: () => `${p}:{outbox:sys}:outbox`,
    /** Outbox streams that may hold events: the drain's work list. */
    outboxPartitions: () => `${p}:{outbox}:partitions`,
    outboxPattern: () => `${p}:{*}:outbox`,
    /** Webhook subscriptions and deliveries share one tag, so each step on them is one script. */
    webhooks: () => `${p}:{wh}:`,
    auditHead: () => `${p}:{audit}:head`,
  }
}

export type Keyspace = ReturnType<typeof keyspace>
