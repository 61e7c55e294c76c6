export { connectRedisStore } from './connectRedisStore.ts'
export type { ConnectRedisStoreOptions } from './connectRedisStore.ts'
export { redactRedisUrl } from './connection.ts'
