import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after } from 'node:test'
import { storeContract } from '../contract/index.ts'
import type { Store } from '../ports.ts'
import { openGroupedSqliteStore } from './index.ts'

// Group commit on the event loop (the server's default, SIGIL_SQLITE_MODE=group) runs the same contract. On a
// file, so that the concurrency tests also spread their calls over two stores with a connection each, as two
// server processes would.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-store-group-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))
const files = new WeakMap<Store, string>()
let opened = 0

storeContract('sqlite group commit file', async () => {
  const file = path.join(dir, `store-${++opened}.db`)
  const store = openGroupedSqliteStore({ path: file })
  files.set(store, file)
  return store
}, { peer: async (store) => openGroupedSqliteStore({ path: files.get(store)! }) })
