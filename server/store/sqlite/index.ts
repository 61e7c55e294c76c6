export { openSqliteStore } from './openSqliteStore.ts'
export type { OpenSqliteStoreOptions } from './openSqliteStore.ts'
export { openThreadedSqliteStore } from './threaded/client.ts'
export type { OpenThreadedSqliteStoreOptions } from './threaded/client.ts'
