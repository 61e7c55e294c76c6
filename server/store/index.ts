export type {
  ApprovalDecisionRecord, ApprovalPolicyDecision, ApprovalRecord, ApprovalStatus, ApprovalStore, BeneficiaryVerificationRecord, PolicySetRecord, PolicySetStore,
  ApiClientRecord, ApiClientStore, AuditEntry, CountedLimit, AuditInput, AuditStore, CeremonyKind, CeremonyRecord, ChallengeStore,
  DeliveryFilter, DeliveryOutcome, DeliveryState, DeviceType, IdempotencyBegin, OutboxEvent, OutboxStore, IdempotencyStore, PasskeyRecord, PasskeyStore, PasskeyWithOwner, RateLimitHit, RateLimitStore,
  RecordPasskeyUse, RecoveryCodeSet, RecoveryCodeStore, RemovePasskeyResult, SessionKind, SessionPatch,
  SessionRecord, SessionStore, Store, StoredResponse, UserRecord, UserStore, WebhookDelivery, WebhookStore,
  WebhookSubscription, WebhookSubscriptionPatch,
  KycAccessTokenRecord, KycCredentialRecord, KycCredentialStatus, KycOfferRecord, KycStore, KycSubjectRecord,
} from './ports.ts'
export { StoreConflictError, StoreUnavailableError } from './errors.ts'
export { AUDIT_GENESIS, auditEntryHash } from './auditHash.ts'
export { openGroupedSqliteStore, openSqliteStore, openThreadedSqliteStore } from './sqlite/index.ts'
export type { OpenSqliteStoreOptions, OpenThreadedSqliteStoreOptions } from './sqlite/index.ts'
export { connectRedisStore, redactRedisUrl } from './redis/index.ts'
export type { ConnectRedisStoreOptions } from './redis/index.ts'
