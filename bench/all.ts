/**
 * `npm run bench`: every benchmark in bench/, one after another on this machine, then one table: figure,
 * Sigil, reference, ratio, goal. Each script runs as its own process (as `npm run bench:<name>` would) and hands
 * its headline figures over through SIGIL_BENCH_JSON; their full output scrolls past first. Writes
 * bench/results/<date>.json with the machine (CPU, cores, Node). Asserts nothing.
 *
 *   tsx bench/all.ts [--quick]      --quick: short phases, to check the harness rather than to measure
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BenchRow } from './report.ts'
import { root } from './targets.ts'

const quick = process.argv.includes('--quick')
const short = quick ? ['--seconds', '2', '--warmup', '1'] : []
const scripts: [string, string[]][] = [
  ['login.ts', short],
  ['dispatch.ts', quick ? ['--seconds', '1', '--rounds', '1'] : []],
  ['ha.ts', quick ? [...short, '--rounds', '1'] : []],
  ['approvals.ts', short],
  ['policyDecision.ts', quick ? ['--decisions', '2000', '--warmup', '500'] : []],
  ['credentials.ts', []],
  ['presentations.ts', quick ? ['--quick'] : []],
  ['overload.ts', quick ? ['--capacity-seconds', '2', '--seconds', '3', '--accounts', '200'] : []],
  ['mixed.ts', quick ? ['--quick'] : []],
]

const rows: (BenchRow & { script: string })[] = []
const started = Date.now()
for (const [script, args] of scripts) {
  const out = path.join(os.tmpdir(), `sigil-bench-${process.pid}-${script}.json`)
  process.stderr.write(`\n== bench/${script} ${args.join(' ')}\n`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', script), ...args], {
    cwd: root, stdio: 'inherit', env: { ...process.env, SIGIL_BENCH_JSON: out },
  })
  if (r.status !== 0) process.stderr.write(`bench/${script} exited ${r.status}; its figures are missing\n`)
  if (fs.existsSync(out)) {
    for (const row of JSON.parse(fs.readFileSync(out, 'utf8')) as BenchRow[]) rows.push({ ...row, script })
    fs.rmSync(out)
  }
}

const cpus = os.cpus()
const machine = { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.release()}`,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30) }
const fmt = (n: number) => (!Number.isFinite(n) ? '-' : n >= 100 ? n.toFixed(0) : n.toFixed(1))
const lines = [
  '',
  `All benchmarks, ${new Date().toISOString().slice(0, 10)}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}${quick ? ' (--quick: not a measurement)' : ''}`,
  '',
  `${'figure'.padEnd(52)}${'Sigil'.padStart(9)}  ${'reference'.padEnd(26)}${'ref'.padStart(9)}${'ratio'.padStart(9)}  goal`,
  ...rows.map((r) => `${r.figure.padEnd(52)}${fmt(r.sigil).padStart(9)}  ${(r.reference?.name ?? '').padEnd(26)}${(r.reference ? fmt(r.reference.value) : '').padStart(9)}`
    + `${(r.reference ? `${(r.sigil / r.reference.value).toFixed(2)}x` : '').padStart(9)}  ${r.goal ? `${r.goal.text}: ${r.goal.met ? 'met' : 'NOT met'}` : ''}`),
  '',
]
process.stdout.write(lines.join('\n') + '\n')
const file = path.join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}.json`)
fs.mkdirSync(path.dirname(file), { recursive: true })
fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, quick, rows, wallSeconds: (Date.now() - started) / 1000 }, null, 2) + '\n')
process.stderr.write(`wrote ${path.relative(root, file)}\n`)
