import { domainEvent, type EventType } from '../audit/index.ts'
import type { AppDeps, Principal } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import type { KycCredentialRecord, KycCredentialStatus } from '../store/index.ts'
import { actorOf, assertIssuanceAllowed } from './access.ts'
import { sha256 } from './seal.ts'
import { statusListUri } from './statusLists.ts'

export type StatusAction = 'revoke' | 'suspend' | 'reinstate'

/** Each action: the statuses it may start from, where it leads, and its event. Revoked is final. */
const TRANSITIONS: Record<StatusAction, { from: KycCredentialStatus[]; to: KycCredentialStatus; event: EventType }> = {
  revoke: { from: ['valid', 'suspended'], to: 'revoked', event: 'kyc.credential_revoked' },
  suspend: { from: ['valid'], to: 'suspended', event: 'kyc.credential_suspended' },
  reinstate: { from: ['suspended'], to: 'valid', event: 'kyc.credential_reinstated' },
}

/** What the API shows of an issued credential: no PII, only hashes, type and status entry. */
export function credentialView(deps: AppDeps, c: KycCredentialRecord) {
  const iso = (t: number) => new Date(t).toISOString()
  return { id: c.id, vct: c.vct, configurationId: c.configurationId, status: c.status, statusList: { uri: statusListUri(deps, c.statusListId), idx: c.statusIndex },
    credentialHash: c.credentialHash, issuedAt: iso(c.issuedAt), expiresAt: iso(c.expiresAt), updatedAt: iso(c.updatedAt) }
}

/**
 * Revokes, suspends or reinstates a credential: one entry of its status list changes, atomically with the record
 * (the store moves the status only from an allowed one). The reason goes to the audit log; the event carries none.
 */
export async function changeCredentialStatus(deps: AppDeps, principal: Principal, id: string, action: StatusAction, reason: string) {
  await assertIssuanceAllowed(deps, principal, 'Issue')
  const t = TRANSITIONS[action]
  const now = deps.now()
  const current = await deps.store.kyc.getCredential(id)
  if (!current) throw new ProblemError('kyc_credential_not_found', 404, { field: 'id' })
  const next = await deps.store.kyc.setCredentialStatus(id, t.from, t.to, now, [domainEvent(t.event, id, now, { status: t.to, statusList: current.statusListId })])
  if (!next) {
    const status = (await deps.store.kyc.getCredential(id))?.status ?? current.status
    throw new ProblemError('kyc_credential_status_conflict', 409, { detail: `Cannot ${action} a credential that is ${status}.`, extra: { credentialStatus: status } })
  }
  await deps.store.audit.append({ type: t.event, actor: actorOf(principal), subject: id,
    data: { from: current.status, to: t.to, reason, statusList: next.statusListId, statusIndex: next.statusIndex } }, now)
  return credentialView(deps, next)
}

/** Credentials issued about a subject (by its reference; only the hash is looked up), newest first. */
export async function listCredentials(deps: AppDeps, subjectRef: string, limit: number) {
  return (await deps.store.kyc.listCredentials(sha256(subjectRef), limit)).map((c) => credentialView(deps, c))
}
