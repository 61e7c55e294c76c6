import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after } from 'node:test'
import { storeContract } from '../contract/index.ts'
import type { Store } from '../ports.ts'

/**
 * Runs the store contract against SQLite files opened with `open` (for tests only): each test gets a fresh file,
 * and a second store opened on the same file stands in for another server process in the concurrency tests.
 */
export function sqliteFileContract(name: string, open: (file: string) => Store | Promise<Store>): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-store-'))
  after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const files = new WeakMap<Store, string>()
  let opened = 0
  storeContract(name, async () => {
    const file = path.join(dir, `store-${++opened}.db`)
    const store = await open(file)
    files.set(store, file)
    return store
  }, { peer: async (store) => open(files.get(store)!) })
}
