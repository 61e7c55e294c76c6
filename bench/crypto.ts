/**
 * `npx tsx bench/crypto.ts`: what one ES256 signature or verification costs the event loop, done the three ways
 * Sigil could: node:crypto synchronously, node:crypto with a callback (a job on the libuv thread pool), and
 * WebCrypto (`subtle`, also a thread pool job, behind a heavier JavaScript layer; jose uses it). The figure that
 * matters for a server whose event loop is its bottleneck is the main thread's CPU per operation, read from
 * /proc for the main thread alone; wall time per operation is printed beside it (16 at a time, so the pool's
 * threads use the second core). Rounds alternate between the ways in one process. Asserts nothing.
 *
 *   tsx bench/crypto.ts [--ops 2000] [--rounds 5] [--concurrency 16]
 */
import { generateKeyPairSync, randomBytes, sign, verify, webcrypto, type KeyObject } from 'node:crypto'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { mainThreadCpuSeconds } from './procs.ts'

const { values: args } = parseArgs({ options: {
  ops: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '16' },
} })
const ops = Number(args.ops)
const rounds = Number(args.rounds)
const concurrency = Number(args.concurrency)

/** CPU time of this process's main thread, in µs (/proc counts in 10 ms ticks). */
const mainThreadMicros = (): number => 1e6 * mainThreadCpuSeconds(process.pid)

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const data = randomBytes(300)
const p1363 = (key: KeyObject) => ({ key, dsaEncoding: 'ieee-p1363' as const })
const signature = sign('sha256', data, p1363(privateKey))
const subtle = webcrypto.subtle
const es256 = { name: 'ECDSA', hash: 'SHA-256' }
const cryptoPublic = await subtle.importKey('jwk', publicKey.export({ format: 'jwk' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
const cryptoPrivate = await subtle.importKey('jwk', privateKey.export({ format: 'jwk' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])

const ways: Record<string, () => Promise<unknown>> = {
  'verify, synchronous': async () => verify('sha256', data, p1363(publicKey), signature),
  'verify, callback (thread pool)': () => new Promise((resolve, reject) => verify('sha256', data, p1363(publicKey), signature, (e, ok) => e ? reject(e) : resolve(ok))),
  'verify, WebCrypto subtle': () => subtle.verify(es256, cryptoPublic, signature, data),
  'sign, synchronous': async () => sign('sha256', data, p1363(privateKey)),
  'sign, callback (thread pool)': () => new Promise((resolve, reject) => sign('sha256', data, p1363(privateKey), (e, sig) => e ? reject(e) : resolve(sig))),
  'sign, WebCrypto subtle': () => subtle.sign(es256, cryptoPrivate, data),
}

async function measure(op: () => Promise<unknown>): Promise<{ main: number; wall: number }> {
  const each = Math.ceil(ops / concurrency)
  const cpu0 = mainThreadMicros()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => { for (let i = 0; i < each; i++) await op() }))
  const n = each * concurrency
  return { main: (mainThreadMicros() - cpu0) / n, wall: ((performance.now() - t0) * 1000) / n }
}

const results = new Map<string, { main: number[]; wall: number[] }>()
for (const op of Object.values(ways)) await measure(op) // warm-up
for (let r = 0; r < rounds; r++) {
  for (const [name, op] of Object.entries(ways)) {
    const m = await measure(op)
    const row = results.get(name) ?? { main: [], wall: [] }
    row.main.push(m.main)
    row.wall.push(m.wall)
    results.set(name, row)
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
process.stdout.write(`ES256 (P-256) on ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}; ${concurrency} at a time, ` +
  `${ops} operations a round, median of ${rounds} alternating rounds (main-thread CPU from /proc, 10 ms ticks).\n\n`)
process.stdout.write(`${'way'.padEnd(34)}${'event-loop CPU µs/op'.padStart(22)}${'wall µs/op'.padStart(14)}\n`)
for (const [name, row] of results) {
  process.stdout.write(`${name.padEnd(34)}${median(row.main).toFixed(1).padStart(22)}${median(row.wall).toFixed(1).padStart(14)}\n`)
}
