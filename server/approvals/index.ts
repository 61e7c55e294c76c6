/**
 * Signing approval, pure parts: the transaction intent wire format, its canonical bytes and digest, the
 * approval challenge, quorum counting and offline evidence verification. Routes and store code build on these.
 */
export { zTransactionIntent, zChain, zAsset, zAmount, zBeneficiary, EVM_CHAINS } from './wire.ts'
export type { TransactionIntent } from './wire.ts'
export { canonicalIntent, intentDigest, digestOf, describeIntent } from './intent.ts'
export { approvalChallenge, expectedApprovalChallenge, newApprovalNonce, APPROVAL_CHALLENGE_TAG } from './challenge.ts'
export type { ApprovalChallengeInput } from './challenge.ts'
export { evaluateQuorum } from './quorum.ts'
export type { ApproverDecision, EvaluateQuorumOptions, EvaluateQuorumResult, GroupTally, QuorumRequirement } from './quorum.ts'
export { zEvidenceBundle, zEvidenceApproval, zEvidenceAssertion } from './evidence.ts'
export type { EvidenceApproval, EvidenceBundle } from './evidence.ts'
export { verifyEvidence } from './verifyEvidence.ts'
export type { VerifyEvidenceOptions, VerifyEvidenceResult } from './verifyEvidence.ts'
