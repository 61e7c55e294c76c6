import assert from 'node:assert/strict'
import { test } from 'node:test'
import { withKeyRefresh } from './withKeyRefresh.ts'

const unknown = (err: unknown) => err instanceof Error && err.message === 'key_unknown'

test('an unknown key re-reads the key set once and verifies again; any other refusal is final at once', async () => {
  let refreshes = 0
  const keys = { refresh: async () => { refreshes++ } }
  let calls = 0
  assert.equal(await withKeyRefresh(keys, unknown, async () => { if (calls++ === 0) throw new Error('key_unknown'); return 'ok' }), 'ok')
  assert.equal(refreshes, 1)
  // Still unknown after the re-read: refused, without a second re-read.
  const other = { refresh: async () => { refreshes++ } }
  let runs = 0
  await assert.rejects(withKeyRefresh(other, unknown, async () => { runs++; throw new Error('key_unknown') }), /key_unknown/)
  assert.equal(refreshes, 2)
  assert.equal(runs, 2)
  await assert.rejects(withKeyRefresh(keys, unknown, async () => { throw new Error('signature_invalid') }), /signature_invalid/)
  assert.equal(refreshes, 2)
})

test('made-up kids re-read the key set at most once a second, and concurrent ones share it', async () => {
  let refreshes = 0
  const keys = { refresh: async () => { refreshes++ } }
  const forged = () => withKeyRefresh(keys, unknown, async () => { throw new Error('key_unknown') })
  await Promise.allSettled(Array.from({ length: 100 }, forged))
  assert.equal(refreshes, 1)
  await new Promise((r) => setTimeout(r, 1050))
  await assert.rejects(forged(), /key_unknown/)
  assert.equal(refreshes, 2)
})
