/** Verification for relying apps: a stateless presentation check under the app's disclosure policy. */
export { verifyForApp } from './verify.ts'
export { zVerifyPresentationRequest, zVerifyPresentationResponse } from './wire.ts'
