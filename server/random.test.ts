import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fillRandom, randomBytes, randomToken } from './random.ts'

test('pooled random values: the right sizes, never repeated across refills of the pool, bytes spread evenly', () => {
  const seen = new Set<string>()
  // 20 000 draws of 16 bytes: the 4 KB pool is refilled about 80 times.
  for (let i = 0; i < 20_000; i++) {
    const t = randomToken(16)
    assert.equal(t.length, 22)
    assert.ok(!seen.has(t), `a token came twice (draw ${i})`)
    seen.add(t)
  }
  assert.equal(randomToken(32).length, 43)
  // Past the pooled size: straight from the CSPRNG, and random too.
  const big = [randomBytes(1000), randomBytes(1000)]
  assert.equal(big[0]!.length, 1000)
  assert.ok(!big[0]!.equals(big[1]!) && new Set(big[0]).size > 200)
  assert.equal(randomToken(300).length, 400)
  // Its own memory, not a slice of Node's shared allocation pool.
  const b = randomBytes(16)
  assert.equal(b.byteOffset, 0)
  assert.equal(b.buffer.byteLength, 16)
  // Each byte value about equally often over 1 MB (chi-squared, 255 degrees of freedom: 400 is far out).
  const counts = new Array<number>(256).fill(0)
  for (let i = 0; i < 4096; i++) for (const b of randomBytes(256)) counts[b]!++
  const expected = (4096 * 256) / 256
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)
  assert.ok(chi2 < 400, `chi-squared ${chi2.toFixed(0)}`)
})

test('fillRandom fills the array it is given, at its offset in a shared buffer, and nothing around it', () => {
  const backing = new Uint8Array(64)
  const view = new Uint8Array(backing.buffer, 16, 32)
  assert.equal(fillRandom(view), view)
  assert.ok(view.some((b) => b !== 0))
  assert.ok(backing.subarray(0, 16).every((b) => b === 0) && backing.subarray(48).every((b) => b === 0))
})
