export { newAccountOptions, verifyNewAccount, addPasskeyOptions, verifyAddPasskey, SUPPORTED_ALGS } from './registration.ts'
export { approvalAssertionOptions, loginOptions, verifyApprovalAssertion, verifyLogin, reauthOptions, verifyReauth } from './login.ts'
export { generateRecoveryCodes, redeemRecoveryCode, RECOVERY_CODE_COUNT } from './recovery.ts'
export {
  auditRecoveryByCredential, recoveryAudience, recoveryCredentialOptions, redeemRecoveryCredential, type RecoveryCredentialOptions,
} from './recoveryByCredential.ts'
export { authenticatorName } from './aaguids.ts'
export {
  acceptsPasskey, assertSessionMeetsRolePolicy, DEFAULT_POLICIES, effectivePolicy, meetsRolePolicy, enforceAttestationPolicy, loadAttestationPolicies, zAttestationPolicies,
} from './attestationPolicy.ts'
export type { AttestationPolicies, AttestationPolicy, AttestedCredential } from './attestationPolicy.ts'
export {
  zAddPasskeyOptionsRequest, zCreationOptions, zEmptyRequest, zLoginVerifyRequest, zPasskey, zPasskeyIdParams, zPasskeyList,
  zPublicUser, zRecoveryCodes, zRecoveryCredentialOptions, zRecoveryCredentialVerifyRequest, zRecoveryVerifyRequest, zRegisterOptionsRequest, zRegisterVerifyRequest, zRenamePasskeyRequest,
  zRequestOptions, zSessionInfo, zSessionRefParams, zSignedIn,
} from './wire.ts'
