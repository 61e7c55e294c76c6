export {
  authorizationServerMetadata, CONFIGURATION_IDS, CREDENTIAL_VALIDITY_SECONDS, credentialIssuerMetadata, didDocument, issuerIdentity, jwtVcIssuerMetadata,
  KYC_JWT_VC, KYC_SD_JWT, PRE_AUTHORIZED_GRANT, type ConfigurationId, type IssuerIdentity,
} from './issuer.ts'
export { submitSubject, SUBJECT_TTL_MS } from './subjects.ts'
export { createOffer, TX_CODE_LENGTH, type CreatedOffer } from './offers.ts'
export { exchangePreAuthorizedCode, ACCESS_TOKEN_SECONDS, MAX_TX_CODE_FAILURES } from './token.ts'
export { issueNonce, NONCE_SECONDS } from './nonce.ts'
export { PROOF_TYP } from './proof.ts'
export { issueCredential } from './issueCredential.ts'
export { collectingAccount } from './account.ts'
export { statusListToken, STATUS_LIST_BITS, STATUS_LIST_SIZE, STATUS_LIST_TTL_SECONDS } from './statusLists.ts'
export { changeCredentialStatus, credentialView, listCredentials, type StatusAction } from './manage.ts'
export { OAuthError, sendOAuthError } from './oauthError.ts'
export {
  zCreateOfferRequest, zCreateOfferResponse, zCredentialIdParams, zCredentialView, zSearchCredentialsRequest, zStatusChangeRequest,
  zStatusListParams, zSubmitSubjectRequest, zSubmitSubjectResponse,
} from './wire.ts'
