import { randomToken } from '../random.ts'
import type { OutboxEvent } from '../store/index.ts'

/**
 * Every event type Sigil emits through the outbox, for webhook subscriptions to filter on. Events carry
 * opaque ids only (user, passkey, session ref, client, approval); a receiver looks further data up by API.
 */
export const EVENT_TYPES = [
  'account.created', 'login', 'passkey.added', 'passkey.renamed', 'passkey.removed', 'passkey.clone_suspected',
  'recovery.codes_generated', 'recovery.used', 'recovery.credential_used', 'session.revoked', 'sessions.revoked_all',
  'user.roles_changed', 'client.created', 'client.revoked',
  'approval.created', 'approval.blocked', 'approval.decision', 'approval.requirements_raised', 'approval.approved', 'approval.rejected', 'approval.expired',
  'approval.token_issued', 'approval.redeemed', 'approval.beneficiary_verified', 'approval.beneficiary_failed', 'policy.changed', 'presentation.verified', 'presentation.failed',
  'kyc.subject_received', 'kyc.offer_created', 'kyc.offer_redeemed', 'kyc.credential_issued', 'kyc.credential_revoked',
  'kyc.credential_suspended', 'kyc.credential_reinstated',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/** A new domain event, to hand to the store method that makes the change it describes. */
export function domainEvent(type: EventType, subject: string, at: number, data: Record<string, unknown> = {}): OutboxEvent {
  return { id: `evt_${randomToken(16)}`, type, at, subject, data }
}
