import { sqliteFileContract } from './fileContract.ts'
import { openThreadedSqliteStore } from './index.ts'

// The store thread (threaded/) runs the same contract: every call crosses to the thread and is group-committed.
// On a file, so that the concurrency tests also spread their calls over two stores, each with its own thread
// and connection, as two server processes would. (Each test starts a thread: about 0.3 s.)
sqliteFileContract('sqlite thread file', (path) => openThreadedSqliteStore({ path }))
