export { connectRedisStore } from './connectRedisStore.ts'
export type { ConnectRedisStoreOptions } from './connectRedisStore.ts'
