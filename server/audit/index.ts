export { createCheckpointer, CHECKPOINT_TYP, CHECKPOINT_TYPE } from './checkpoints.ts'
export type { CheckpointClaims } from './checkpoints.ts'
export { verifyAuditExport, AuditVerificationError } from './verifyExport.ts'
export type { VerifyAuditExportResult } from './verifyExport.ts'
