import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after } from 'node:test'
import { storeContract } from '../contract/index.ts'
import type { Store } from '../ports.ts'
import { openSqliteStore } from './index.ts'

storeContract('sqlite :memory:', async () => openSqliteStore({ path: ':memory:' }))

// A file database also runs every concurrency test across two connections, as two server processes would.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-store-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))
const files = new WeakMap<Store, string>()
let opened = 0

storeContract('sqlite file', async () => {
  const file = path.join(dir, `store-${++opened}.db`)
  const store = openSqliteStore({ path: file })
  files.set(store, file)
  return store
}, { peer: async (store) => openSqliteStore({ path: files.get(store)! }) })
