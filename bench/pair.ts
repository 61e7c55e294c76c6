/**
 * `npx tsx bench/pair.ts --base <git rev or directory>`: a paired comparison of this checkout (A) against another
 * version of Sigil (B) under the approval workload (bench/approvalLoad.ts), both servers running at the same time, so
 * that both see the same machine. This VM's speed moves by up to 2× between hours and by a quarter within minutes
 * (README, Performance), more than most changes: alternating runs cannot resolve a 5 % change, paired rounds can.
 * Both servers share the cores, so the figure to read is CPU per round trip, above all the event loop's own (the main
 * thread, from /proc), not the throughput. Round 0 is a warm-up. Asserts nothing.
 *
 *   tsx bench/pair.ts --base HEAD~1 [--rounds 4] [--seconds 6] [--concurrency 32 | --rate 150] [--approvers 200]
 *                     [--env-a NAME=VALUE]… [--env-b NAME=VALUE]…
 *
 * A git revision is checked out into a temporary worktree that borrows this checkout's node_modules and web build,
 * and is removed afterwards. --concurrency runs closed loops (that many round trips in flight per server); --rate
 * paces each server at that many round trips a second. --env-a/--env-b set environment variables for one server
 * only (the same code under two settings: `--base . --env-b SIGIL_SQLITE_MODE=thread`).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startApprovalLoad, type ApprovalLoad } from './approvalLoad.ts'
import { mainThreadCpuSeconds, processCpuSeconds } from './procs.ts'
import { root } from './targets.ts'

const { values: args } = parseArgs({ options: {
  base: { type: 'string' }, rounds: { type: 'string', default: '4' }, seconds: { type: 'string', default: '6' },
  concurrency: { type: 'string' }, rate: { type: 'string' }, approvers: { type: 'string', default: '200' },
  'env-a': { type: 'string', multiple: true, default: [] }, 'env-b': { type: 'string', multiple: true, default: [] },
} })
const usage = 'usage: tsx bench/pair.ts --base <git rev or directory> [--rounds 4] [--seconds 6] [--concurrency 32 | --rate 150] [--approvers 200] [--env-a NAME=VALUE]… [--env-b NAME=VALUE]…\n'
const rounds = Number(args.rounds)
const seconds = Number(args.seconds)
const rate = args.rate === undefined ? undefined : Number(args.rate)
const concurrency = Number(args.concurrency ?? (rate === undefined ? '32' : '0'))
if (!args.base || !(rounds >= 1) || !(seconds > 0) || (rate !== undefined && !(rate > 0)) || (rate === undefined && !(concurrency >= 1))) {
  process.stderr.write(usage)
  process.exit(2)
}
const envOf = (pairs: string[]): Record<string, string> => Object.fromEntries(pairs.map((p) => {
  const i = p.indexOf('=')
  if (i < 1) { process.stderr.write(`not NAME=VALUE: ${p}\n${usage}`); process.exit(2) }
  return [p.slice(0, i), p.slice(i + 1)]
}))
const log = (s: string): void => void process.stderr.write(s + '\n')

/** The checkout of B: a directory as given, or a temporary worktree of a git revision (removed by `done`). */
function checkout(base: string): { dir: string; label: string; done: () => void } {
  if (fs.existsSync(path.join(base, 'server', 'main.ts'))) return { dir: path.resolve(base), label: base, done: () => undefined }
  const rev = execFileSync('git', ['rev-parse', '--short', `${base}^{commit}`], { cwd: root, encoding: 'utf8' }).trim()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-pair-'))
  execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, rev], { cwd: root, stdio: 'ignore' })
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'))
  if (fs.existsSync(path.join(root, 'web', 'dist'))) fs.symlinkSync(path.join(root, 'web', 'dist'), path.join(dir, 'web', 'dist'))
  return { dir, label: rev, done: () => execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' }) }
}

interface Side { name: string; load: ApprovalLoad; done: number; errors: number; firstError: string; main: number[]; process: number[]; perSecond: number[] }

async function round(sides: Side[]): Promise<void> {
  const pids = sides.map((s) => s.load.server.child.pid!)
  const before = pids.map((pid) => [mainThreadCpuSeconds(pid), processCpuSeconds(pid)] as const)
  for (const s of sides) s.done = 0
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  const one = (s: Side): Promise<void> => s.load.roundTrip().then(() => { s.done++ }, (err: unknown) => {
    s.errors++
    s.firstError ||= err instanceof Error ? err.message : String(err)
  })
  if (rate === undefined) {
    await Promise.all(sides.flatMap((s) => Array.from({ length: concurrency }, async () => { while (performance.now() < end) await one(s) })))
  } else {
    const running: Promise<void>[] = []
    let started = 0
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - t0) * rate) / 1000)
      for (; started < due; started++) for (const s of sides) running.push(one(s))
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    await Promise.all(running)
  }
  const wall = (performance.now() - t0) / 1000
  sides.forEach((s, i) => {
    const n = Math.max(1, s.done)
    s.main.push((1e6 * (mainThreadCpuSeconds(pids[i]!) - before[i]![0])) / n)
    s.process.push((1e6 * (processCpuSeconds(pids[i]!) - before[i]![1])) / n)
    s.perSecond.push(s.done / wall)
  })
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  const b = checkout(args.base!)
  const sides: Side[] = []
  try {
    for (const [name, dir, env] of [['A (this checkout)', root, envOf(args['env-a'])], [`B (${b.label})`, b.dir, envOf(args['env-b'])]] as const) {
      log(`starting ${name} with ${args.approvers} approvers…`)
      sides.push({ name, load: await startApprovalLoad({ root: dir, approvers: Number(args.approvers), env }), done: 0, errors: 0, firstError: '', main: [], process: [], perSecond: [] })
    }
    const mode = rate === undefined ? `${concurrency} round trips in flight per server` : `${rate} round trips/s per server`
    process.stdout.write(`Approval round trips, A and B at the same time, ${mode}, ${rounds} rounds of ${seconds} s after a warm-up round; `
      + `${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}. CPU from /proc in 10 ms ticks.\n\n`)
    await round(sides)
    for (const s of sides) { s.main = []; s.process = []; s.perSecond = [] }
    for (let r = 1; r <= rounds; r++) {
      await round(sides)
      process.stdout.write(`round ${r}: ` + sides.map((s) => `${s.name.split(' ')[0]} ${s.perSecond.at(-1)!.toFixed(0)}/s, `
        + `main thread ${s.main.at(-1)!.toFixed(0)} µs, process ${s.process.at(-1)!.toFixed(0)} µs`).join(' | ') + '\n')
    }
    const [a, bb] = sides as [Side, Side]
    process.stdout.write('\nper round trip, medians     ' + sides.map((s) => s.name.padStart(22)).join('') + '   A/B\n')
    for (const [label, key] of [['main-thread CPU µs', 'main'], ['process CPU µs', 'process'], ['round trips/s', 'perSecond']] as const) {
      process.stdout.write(label.padEnd(28) + sides.map((s) => median(s[key]).toFixed(0).padStart(22)).join('') + `   ${(median(a[key]) / median(bb[key])).toFixed(3)}\n`)
    }
    process.stdout.write('A below B in main-thread CPU in ' + a.main.filter((x, i) => x < bb.main[i]!).length + ` of ${rounds} rounds\n`)
    for (const s of sides) if (s.errors) process.stdout.write(`${s.name}: ${s.errors} failed round trips (first: ${s.firstError.slice(0, 160)})\n`)
  } finally {
    for (const s of sides) await s.load.close()
    b.done()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
