import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ContractTarget } from './harness.ts'

export function lifecycleContract(name: string, target: ContractTarget) {
  describe(`${name}: lifecycle`, () => {
    test('kind names the adapter and ping resolves while open', async () => {
      const store = await target.make()
      try {
        assert.equal(typeof store.kind, 'string')
        assert.ok(store.kind.length > 0)
        await store.ping()
      } finally {
        await store.close()
      }
    })

    test('ping rejects after close', async () => {
      const store = await target.make()
      await store.close()
      await assert.rejects(store.ping())
    })
  })
}
