import { sqliteFileContract } from './fileContract.ts'
import { openGroupedSqliteStore } from './index.ts'

// Group commit on the event loop (the server's default, SIGIL_SQLITE_MODE=group) runs the same contract. On a
// file, so that the concurrency tests also spread their calls over two stores with a connection each, as two
// server processes would.
sqliteFileContract('sqlite group commit file', (path) => openGroupedSqliteStore({ path }))
