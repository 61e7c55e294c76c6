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
export { signUp, signIn } from './flows.ts'
export { startRedisCluster, startRedisServer } from './redisServer.ts'
export type { TestRedisCluster, TestRedisServer } from './redisServer.ts'
