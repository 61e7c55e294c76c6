export { openSqliteStore } from './openSqliteStore.ts'
export type { OpenSqliteStoreOptions } from './openSqliteStore.ts'
