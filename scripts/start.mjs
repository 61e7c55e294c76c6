// `npm start`: runs the server (server/main.ts through tsx) in a child process whose environment sets glibc's
// MALLOC_ARENA_MAX=2 unless it is already set. The allocator reads it only when a process starts, hence the child.
// Measured on 2026-11-25 (bench/soak.ts, 30 min at 20 operations/s): RSS grew 0.61 MB a minute without it and
// 0.15 MB a minute with it, and sign-in throughput was no lower (README, "Overload and soak").
// Signals are passed on, and the child's exit code is this process's.
import { spawn } from 'node:child_process'
import os from 'node:os'

const env = { ...process.env }
if (process.platform === 'linux' && env.MALLOC_ARENA_MAX === undefined) env.MALLOC_ARENA_MAX = '2'
const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...process.argv.slice(2)], { stdio: 'inherit', env })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => { if (child.exitCode === null) child.kill(signal) })
}
child.on('error', (err) => {
  process.stderr.write(`npm start: could not run the server: ${err.message}\n`)
  process.exit(1)
})
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? os.constants.signals[signal] ?? 0 : 0))
})
