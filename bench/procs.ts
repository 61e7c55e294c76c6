/** Child processes of the benchmark: servers on loopback, and the CPU their process trees use. */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100

export interface ServerProcess {
  name: string
  url: string
  child: ChildProcess
  /** The last lines the process wrote, for error reports. */
  output: () => string
  stop: () => Promise<void>
}

/** A port that was free a moment ago on 127.0.0.1 (the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** Starts `node [nodeArgs] script` and waits until GET `readyPath` answers. */
export async function startServer(opts: { name: string; script: string; port: number; env: Record<string, string>; nodeArgs?: string[]; readyPath: string; cwd: string }): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', opts.script], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let tail = ''
  const keep = (b: Buffer): void => { tail = (tail + b.toString()).slice(-4000) }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  // SIGIL_BENCH_SERVER_LOG=<file>: every line the servers write, appended there (e.g. with --trace-gc in node args).
  const logFile = process.env.SIGIL_BENCH_SERVER_LOG
  if (logFile) {
    const out = fs.createWriteStream(logFile, { flags: 'a' })
    child.stdout!.pipe(out)
    child.stderr!.pipe(out)
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${opts.port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited with ${child.exitCode}:\n${tail}`)
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`${opts.name} did not become ready in 30 s:\n${tail}`) }
    try {
      const res = await fetch(url + opts.readyPath, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.ok) break
    } catch { /* not listening yet */ }
    await sleep(100)
  }
  return {
    name: opts.name,
    url,
    child,
    output: () => tail,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)])
      if (code === 'timeout') { child.kill('SIGKILL'); await exited }
    },
  }
}

/** A process's (or, with `tid`, one of its threads') parent and CPU ticks, from /proc. */
function statOf(pid: number, tid?: number): { ppid: number; ticks: number } | undefined {
  try {
    const s = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8')
    // Fields after "(comm)": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based over the whole line.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }
  } catch {
    return undefined
  }
}

/** CPU seconds used so far by `pid` alone (all its threads), or NaN where there is no /proc. */
export function processCpuSeconds(pid: number): number {
  return (statOf(pid)?.ticks ?? NaN) / TICKS_PER_SECOND
}

/** CPU seconds used so far by the main thread of `pid` (its event loop: the thread whose id is the pid). */
export function mainThreadCpuSeconds(pid: number): number {
  return (statOf(pid, pid)?.ticks ?? NaN) / TICKS_PER_SECOND
}

/** CPU seconds used so far by `pid` and every live descendant (cluster workers, if any). */
export function treeCpuSeconds(pid: number): number {
  if (!fs.existsSync('/proc/self/stat')) return NaN
  const children = new Map<number, number[]>()
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const st = statOf(Number(name))
    if (st) children.set(st.ppid, [...(children.get(st.ppid) ?? []), Number(name)])
  }
  let ticks = 0
  const todo = [pid]
  while (todo.length) {
    const p = todo.pop()!
    ticks += statOf(p)?.ticks ?? 0
    todo.push(...(children.get(p) ?? []))
  }
  return ticks / TICKS_PER_SECOND
}

/** /proc/stat's first line (all cores) as seconds: busy (user, nice, system, irq, softirq), steal, idle (with I/O wait). */
export function machineTimes(): { busy: number; steal: number; idle: number } {
  try {
    const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).map(Number)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
    return { busy: (user + nice + system + irq + softirq) / TICKS_PER_SECOND, steal: steal / TICKS_PER_SECOND, idle: (idle + iowait) / TICKS_PER_SECOND }
  } catch {
    return { busy: NaN, steal: NaN, idle: NaN }
  }
}

/**
 * CPU seconds every core of the machine has spent busy (not idle, not waiting for I/O) since boot, time the
 * hypervisor took for other guests (steal) included: to this guest's processes that time is lost either way.
 */
export function machineBusySeconds(): number {
  const t = machineTimes()
  return t.busy + t.steal
}

/**
 * Starts watching the hypervisor: the returned function gives how many of this machine's cores, on average, the
 * hypervisor ran other guests on ("steal") since the watch started (0 to the number of cores). On this VM it has
 * been 0 to 0.8 of its 2 cores within one afternoon; a figure measured meanwhile is a figure of a smaller machine.
 */
export function watchSteal(): () => number {
  const t0 = machineTimes()
  const w0 = performance.now()
  return () => Math.round(((machineTimes().steal - t0.steal) / ((performance.now() - w0) / 1000)) * 100) / 100
}
