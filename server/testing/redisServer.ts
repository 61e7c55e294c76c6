import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

export interface TestRedisServer {
  url: string
  stop(): Promise<void>
}

export interface TestRedisCluster {
  /** redis:// URLs of the three masters. */
  rootNodes: string[]
  stop(): Promise<void>
}

const STARTUP_MS = 15_000

function requireBinary(name: 'redis-server' | 'redis-cli'): void {
  const probe = spawnSync(name, ['--version'], { stdio: 'ignore' })
  if (probe.error) {
    throw new Error(`${name} not found on PATH: install it with \`apt-get install redis-server\` `
      + '(scripts/ensure-system-packages.sh redis-server does so in CI)', { cause: probe.error })
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const { port } = srv.address() as net.AddressInfo
  await new Promise((resolve) => srv.close(resolve))
  return port
}

/** A port whose cluster bus port (port + 10000) is free too; below the ephemeral range, so both fit. */
async function freeClusterPort(taken: number[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000)
    if (!taken.includes(port) && await canListen(port) && await canListen(port + 10_000)) return port
  }
  throw new Error('no free port pair for a Redis Cluster node')
}

/** Sends one command and returns its reply as text (status, error, integer or bulk string). */
function command(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let buf = ''
    socket.setTimeout(2000, () => socket.destroy(new Error('timeout')))
    socket.on('error', reject)
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''))
    })
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8')
      const eol = buf.indexOf('\r\n')
      if (eol < 0) return
      let reply: string | undefined
      if (buf[0] === '$') {
        const len = Number(buf.slice(1, eol))
        if (Buffer.byteLength(buf) >= eol + 2 + len + 2) reply = buf.slice(eol + 2, eol + 2 + len)
      } else {
        reply = buf.slice(0, eol)
      }
      if (reply === undefined) return
      socket.end()
      resolve(reply)
    })
  })
}

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STARTUP_MS
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface Node {
  port: number
  stop(): Promise<void>
}

/** One redis-server in its own temp dir, without persistence, answering PING. */
async function startNode(port: number, extra: string[]): Promise<Node> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-redis-'))
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, ...extra], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-4000) }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.on('error', (err) => { output += `\n${String(err)}` })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    // An exited server ends the wait at once, and is reported with its log.
    await waitUntil(`redis-server on port ${port}`,
      async () => child.exitCode !== null || await command(port, ['PING']) === '+PONG')
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}:\n${output}`)
  } catch (err) {
    await stop()
    throw err
  }
  return { port, stop }
}

/** A throwaway redis-server on a free loopback port; stop() kills it and removes its directory. */
/** A redis-server on a free port; `args` are extra redis-server options (e.g. `--appendonly yes`). */
export async function startRedisServer(opts: { args?: string[] } = {}): Promise<TestRedisServer> {
  requireBinary('redis-server')
  const node = await startNode(await freePort(), opts.args ?? [])
  return { url: `redis://127.0.0.1:${node.port}`, stop: node.stop }
}

/** Three cluster-enabled masters sharing all 16384 slots, with no replicas; ready when every node says ok. */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  requireBinary('redis-server')
  requireBinary('redis-cli')
  const nodes: Node[] = []
  const stop = async () => { await Promise.all(nodes.map((n) => n.stop())) }
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freeClusterPort(nodes.map((n) => n.port))
      nodes.push(await startNode(port, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']))
    }
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas', '0', '--cluster-yes'], { timeout: STARTUP_MS })
    await waitUntil('cluster_state:ok on every node', async () => {
      const infos = await Promise.all(nodes.map((n) => command(n.port, ['CLUSTER', 'INFO'])))
      return infos.every((info) => info.includes('cluster_state:ok'))
    })
  } catch (err) {
    await stop()
    throw err
  }
  return { rootNodes: nodes.map((n) => `redis://127.0.0.1:${n.port}`), stop }
}
