export { createSoftAuthenticator } from './softAuthenticator.ts'
export type {
  AuthTamper,
  AuthenticateContext,
  CeremonyTamper,
  CreateSoftAuthenticatorOptions,
  RegisterContext,
  RegisterTamper,
  SoftAuthenticator,
} from './softAuthenticator.ts'
export type { SoftAlg } from './authData.ts'
export { startTestApp, TestClient, TEST_ORIGIN } from './testApp.ts'
export type { TestApp, TestClock, TestResponse, StartTestAppOptions } from './testApp.ts'
export { approveRequest, signUp, signIn } from './flows.ts'
export { startRedisCluster, startRedisServer } from './redisServer.ts'
export type { TestRedisCluster, TestRedisServer } from './redisServer.ts'
export {
  assertionFlags, attestedCredential, flipLastByte, flipLastByteOf, hexToUuid, swaVector, vectorsMissing, VECTORS_DIR,
  w3cAuthenticationResponse, w3cRegistrationResponse, w3cVector,
} from './vectors.ts'
export type {
  AttestedVectorCredential, AuthDataFlags, SwaAuthenticationVector, SwaRegistrationVector, SwaVectorFile, W3cAuthentication,
  W3cRegistration, W3cVector, W3cVectorFile,
} from './vectors.ts'
export { startWebhookReceiver } from './webhookReceiver.ts'
export type { ReceivedWebhook, WebhookReceiver } from './webhookReceiver.ts'
export { startSigilProcess } from './sigilProcess.ts'
