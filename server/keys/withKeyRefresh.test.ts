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
  await assert.rejects(withKeyRefresh(keys, unknown, async () => { throw new Error('key_unknown') }), /key_unknown/)
  assert.equal(refreshes, 2)
  await assert.rejects(withKeyRefresh(keys, unknown, async () => { throw new Error('signature_invalid') }), /signature_invalid/)
  assert.equal(refreshes, 2)
})
