import { randomBytes } from 'node:crypto'
import { CredentialError, verifyPresentation, type TrustedIssuerList } from '../../credentials/index.ts'
import { policySourceFor } from '../approvals/index.ts'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { CREDENTIAL_VALIDITY_SECONDS, issuerIdentity, statusListToken } from '../kyc/index.ts'
import { withKeyRefresh } from '../keys/index.ts'
import { hitLimit } from '../rateLimits.ts'
import type { KycCredentialRecord, OutboxEvent, UserRecord } from '../store/index.ts'

/** Same shape as the recovery-code limits: per account and client, per account, per client (any handle). */
// Per client, and per account and client; no account-wide bucket a stranger could fill to keep the owner out (a
// credential with its key binding cannot be guessed).
const LIMITS = { accountClient: 5, client: 10 }

/** The KB-JWT `aud` a recovery presentation must carry: this endpoint, so no presentation made for a relying app fits. */
export const recoveryAudience = (deps: AppDeps): string => `${deps.config.publicUrl}/v1/recovery/credential`

/** What the holder is asked to present: the KYC credential, disclosing no selectively disclosable claim at all. */
export interface RecoveryCredentialOptions {
  nonce: string
  audience: string
  vct: string
  /** Selectively disclosable claims to disclose: none. Only the always-visible ones are seen. */
  claims: string[]
  expiresAt: string
}

/** Issues a single-use nonce for a recovery presentation; it expires with SIGIL_CHALLENGE_SECONDS. Names no account. */
export async function recoveryCredentialOptions(deps: AppDeps): Promise<RecoveryCredentialOptions> {
  const nonce = randomBytes(32).toString('base64url')
  const expiresAt = deps.now() + deps.config.challengeSeconds * 1000
  await deps.store.challenges.put({ challenge: nonce, kind: 'recovery-credential', expiresAt })
  return { nonce, audience: recoveryAudience(deps), vct: issuerIdentity(deps).vct, claims: [], expiresAt: new Date(expiresAt).toISOString() }
}

const trustCache = new WeakMap<AppDeps, { kids: string; list: TrustedIssuerList }>()

/** Only Sigil's own issuer, with its keys (retired ones too, while a credential they signed can be valid), for its KYC credential type. */
function ownIssuer(deps: AppDeps): TrustedIssuerList {
  const jwks = deps.keys.publishedFor(CREDENTIAL_VALIDITY_SECONDS)
  const kids = jwks.keys.map((k) => k.kid).join(' ')
  const cached = trustCache.get(deps)
  if (cached?.kids === kids) return cached.list
  const id = issuerIdentity(deps)
  const list: TrustedIssuerList = [{ issuer: id.did, vcts: [id.vct], keys: jwks.keys }]
  trustCache.set(deps, { kids, list })
  return list
}

/** Why an attempt was refused: recorded in the audit log only; the caller always gets `recovery_failed`. */
class Refused extends Error {
  constructor(readonly reason: string, readonly credential?: string) {
    super(reason)
  }
}

async function verifiedRecord(deps: AppDeps, presentation: string, nonce: string): Promise<KycCredentialRecord> {
  const ceremony = await deps.store.challenges.consume(nonce)
  if (!ceremony || ceremony.kind !== 'recovery-credential') throw new Refused('nonce_unknown')
  if (ceremony.expiresAt <= deps.now()) throw new Refused('nonce_expired')
  const prefix = `${deps.config.publicUrl}/status-lists/`
  let result
  try {
    // A credential signed by another instance with a key this one has not read yet: re-read once.
    result = await withKeyRefresh(deps.keys, (err) => err instanceof CredentialError && err.code === 'key_unknown', () => verifyPresentation(presentation, {
      trustedIssuers: ownIssuer(deps),
      fetchStatusList: async (uri) => {
        if (!uri.startsWith(prefix)) throw new CredentialError('status_unavailable', { detail: 'not a status list of this issuer' })
        return (await statusListToken(deps, uri.slice(prefix.length))).token
      },
      now: new Date(deps.now()), expectedNonce: nonce, expectedAudience: recoveryAudience(deps), expectedVct: issuerIdentity(deps).vct,
      expectedClaims: [],
    }))
  } catch (err) {
    if (err instanceof CredentialError) throw new Refused(err.code)
    throw err
  }
  const reference = result.status?.reference
  if (!reference?.uri.startsWith(prefix)) throw new Refused('status_missing')
  const record = await deps.store.kyc.getCredentialByStatusEntry(reference.uri.slice(prefix.length), reference.idx)
  if (!record) throw new Refused('credential_unknown')
  // The store is authoritative and immediate; the status list token verified above may be up to its TTL old.
  if (record.status !== 'valid') throw new Refused(`credential_${record.status}`, record.id)
  if (record.expiresAt <= deps.now()) throw new Refused('credential_expired', record.id)
  return record
}

/** One audit entry per attempt; the handle is not recorded (an unknown one could be anything a person typed). */
export async function auditRecoveryByCredential(deps: AppDeps, entry: { type: 'recovery.credential_used' | 'recovery.credential_refused';
  user: UserRecord | undefined; data: Record<string, unknown> }): Promise<void> {
  const id = entry.user?.id
  await deps.store.audit.append({ type: entry.type, actor: id ?? 'anonymous', subject: id ?? 'unknown', data: entry.data }, deps.now())
}

/**
 * Recovery by credential: a user who lost every passkey presents the KYC credential their own signed-in session
 * collected (key binding over a single-use nonce from {@link recoveryCredentialOptions}, audience
 * {@link recoveryAudience}). It must verify against Sigil's own issuer, be valid in the store (not revoked,
 * suspended or expired), be linked to exactly the account named by `handle`, and the Cedar `Recover` policy must
 * allow that account. Every failure, unknown handle included, is the same `recovery_failed`; the reason goes to the
 * audit log (`recovery.credential_refused`). Returns the user, the credential used and the outbox event for the
 * recovery session; the caller opens it and audits `recovery.credential_used`.
 */
export async function redeemRecoveryCredential(deps: AppDeps, handle: string, nonce: string, presentation: string,
  client: string): Promise<{ user: UserRecord; credentialId: string; events: OutboxEvent[] }> {
  const user = await deps.store.users.getByHandle(handle)
  const account = user?.id ?? `unknown:${handle}`
  try {
    await hitLimit(deps, `recovery-cred:client:${client}`, LIMITS.client)
    await hitLimit(deps, `recovery-cred:acct:${account}:${client}`, LIMITS.accountClient)
  } catch (err) {
    if (err instanceof ProblemError) await auditRecoveryByCredential(deps, { type: 'recovery.credential_refused', user, data: { reason: err.code } })
    throw err
  }
  try {
    // The presentation is checked whether or not the handle exists, so both cost the same.
    const record = await verifiedRecord(deps, presentation, nonce)
    if (!user) throw new Refused('account_unknown', record.id)
    if (record.accountId === undefined) throw new Refused('credential_not_linked', record.id)
    if (record.accountId !== user.id) throw new Refused('account_mismatch', record.id)
    const engine = await policySourceFor(deps.store).current()
    const answer = engine.evaluateRecovery({ user: { id: user.id, roles: user.roles }, method: 'kyc-credential' })
    if (!answer.allowed) throw new Refused(answer.code ?? 'no_policy_permits', record.id)
    return { user, credentialId: record.id, events: [domainEvent('recovery.credential_used', user.id, deps.now(), { credential: record.id })] }
  } catch (err) {
    if (!(err instanceof Refused)) throw err
    await auditRecoveryByCredential(deps, { type: 'recovery.credential_refused', user, data: { reason: err.reason, ...(err.credential ? { credential: err.credential } : {}) } })
    throw new ProblemError('recovery_failed', 401, { detail: 'That handle and credential presentation do not open a recovery session.' })
  }
}
