/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time, and the
 * packages/files that time falls in, and with `--inclusive` the project's functions by time spent in them or in
 * what they call. `--after S` counts only samples taken S seconds or more after the profile began (to leave out a
 * benchmark's set-up). `npx tsx bench/profileTop.ts <file.cpuprofile> [--top 25] [--inclusive] [--after S] [--before S] [--timeline]`
 * (`--before S`: only samples before S seconds; `--timeline`: the busy share of each second first)
 */
import fs from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, inclusive: { type: 'boolean', default: false }, after: { type: 'string', default: '0' }, before: { type: 'string', default: 'Infinity' }, timeline: { type: 'boolean', default: false } } })
const file = positionals[0]
if (!file) {
  process.stderr.write('usage: tsx bench/profileTop.ts <file.cpuprofile> [--top N] [--inclusive] [--after S] [--before S] [--timeline]\n')
  process.exit(2)
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parentOf = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id)

// Self time per node: each sample's time delta belongs to the node sampled.
const selfUs = new Map<number, number>()
const afterUs = Number(values.after) * 1e6
const beforeUs = Number(values.before) * 1e6
let clock = 0
let countedUs = 0
/** Busy (not idle) microseconds in each second of the profile, for --timeline. */
const busyBySecond: number[] = []
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0
  clock += dt
  if (byId.get(id)!.callFrame.functionName !== '(idle)') busyBySecond[Math.floor(clock / 1e6)] = (busyBySecond[Math.floor(clock / 1e6)] ?? 0) + dt
  if (clock < afterUs || clock >= beforeUs) return
  countedUs += dt
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt)
})
const totalUs = afterUs > 0 || Number.isFinite(beforeUs) ? countedUs : profile.endTime - profile.startTime
if (values.timeline) {
  process.stdout.write('Busy share of each second (to find a benchmark\'s phases for --after/--before):\n')
  process.stdout.write(Array.from(busyBySecond, (us, sec) => `${sec}s ${Math.round((us ?? 0) / 1e4)}%`).join('  ') + '\n\n')
}

/** Where a URL lives: the npm package, node internals, or the project file. */
function area(url: string): string {
  if (!url) return '(native/VM)'
  if (url.startsWith('node:')) return url
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  return url.replace(/^file:\/\/.*?\/(server|bench|credentials)\//, '$1/')
}

const byFunction = new Map<string, number>()
const byArea = new Map<string, number>()
const label = (id: number): string => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame
  return `${functionName || '(anonymous)'} ${url ? `${area(url)}:${lineNumber + 1}` : ''}`.trim()
}
for (const [id, us] of selfUs) {
  const { functionName, url } = byId.get(id)!.callFrame
  // A native function (SQLite's Statement.run, a crypto job) means little alone: name the JS that called it.
  const caller = parentOf.get(id)
  const native = !url && !functionName.startsWith('(') && caller !== undefined
  const key = native ? `${label(id)} <- ${label(caller)}` : label(id)
  byFunction.set(key, (byFunction.get(key) ?? 0) + us)
  byArea.set(area(url), (byArea.get(area(url)) ?? 0) + us)
}

const top = Number(values.top)
const pct = (us: number): string => ((100 * us) / totalUs).toFixed(1).padStart(5) + ' %'
const idleUs = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0)
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(1)} s profiled, ${pct(totalUs - idleUs)} busy\n\nTop self time by function:\n`)
for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`)
process.stdout.write('\nSelf time by package / file:\n')
for (const [k, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`)

if (values.inclusive) {
  // Each node's time counts once for every distinct project function on its stack.
  const inclusive = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const seen = new Set<string>()
    for (let n: number | undefined = id; n !== undefined; n = parentOf.get(n)) {
      const url = byId.get(n)!.callFrame.url
      if (!/\/(server|credentials|policies)\//.test(url) || url.includes('node_modules')) continue
      const k = label(n)
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + us)
    }
  }
  process.stdout.write('\nProject functions by inclusive time:\n')
  for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`)
}
