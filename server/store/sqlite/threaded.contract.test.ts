import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after } from 'node:test'
import { storeContract } from '../contract/index.ts'
import type { Store } from '../ports.ts'
import { openThreadedSqliteStore } from './index.ts'

// The store thread (threaded/) runs the same contract: every call crosses to the thread and is group-committed.
// On a file, so that the concurrency tests also spread their calls over two stores, each with its own thread
// and connection, as two server processes would. (Each test starts a thread: about 0.3 s.)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-store-thread-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))
const files = new WeakMap<Store, string>()
let opened = 0

storeContract('sqlite thread file', async () => {
  const file = path.join(dir, `store-${++opened}.db`)
  const store = await openThreadedSqliteStore({ path: file })
  files.set(store, file)
  return store
}, { peer: async (store) => openThreadedSqliteStore({ path: files.get(store)! }) })
