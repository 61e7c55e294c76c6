/** Verification for relying apps: a stateless presentation check under the app's disclosure policy. */
export { verifyForApp } from './verify.ts'
export { zCreatePresentationRequest, zCreatePresentationResponse, zDirectPostResponse, zPresentationRequestParams, zVerifyPresentationRequest, zVerifyPresentationResponse } from './wire.ts'
export { createPresentationRequest, CREDENTIAL_QUERY_ID, readPresentationResult, receivePresentation, RESULT_TTL_MS, takeRequestObject, type ResponseMode, type WalletAnswer } from './requests.ts'
