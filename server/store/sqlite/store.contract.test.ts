import { storeContract } from '../contract/index.ts'
import { sqliteFileContract } from './fileContract.ts'
import { openSqliteStore } from './index.ts'

storeContract('sqlite :memory:', async () => openSqliteStore({ path: ':memory:' }))

// A file database also runs every concurrency test across two connections, as two server processes would.
sqliteFileContract('sqlite file', (path) => openSqliteStore({ path }))
