import cluster from 'node:cluster'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { ConfigError, loadConfig, unknownVariables, type Config } from './config.ts'
import { createApp } from './http/index.ts'
import { createMetrics } from './http/index.ts'
import { KEY_REFRESH_SECONDS } from './keys/index.ts'
import { loadAttestationPolicies } from './passkeys/index.ts'
import { createLogger, keyFileFailingSeconds, openKeys, openStore } from './runtime.ts'
import { auditAnchorFile, CheckpointRefusedError, createCheckpointer, startDispatcher } from './audit/index.ts'
import { expireDueApprovals, policySourceFor } from './approvals/index.ts'

/** sysexits EX_CONFIG: the configuration cannot work (a bad variable, the port taken). */
const EXIT_CONFIG = 78

async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sigil: ${err.message}\n`)
      process.exit(EXIT_CONFIG)
    }
    throw err
  }
  // A file the configuration names, read before anything starts: a missing or malformed one is a configuration error.
  let attestationPolicies: ReturnType<typeof loadAttestationPolicies>
  try {
    attestationPolicies = loadAttestationPolicies(config.attestationPolicyFile)
  } catch (err) {
    process.stderr.write(`sigil: ${(err as Error).message}\n`)
    process.exit(EXIT_CONFIG)
  }
  const log = createLogger(config.logLevel)
  const unknown = unknownVariables()
  if (unknown.length && cluster.isPrimary) log.warn({ variables: unknown }, `unknown SIGIL_ variables ignored: ${unknown.join(', ')}`)
  if (config.workers > 1 && cluster.isPrimary) return supervise(config, log)
  // A dead SQLite store thread leaves nothing this process can answer but 503: exit, so that it is restarted
  // (by the cluster primary with SIGIL_WORKERS > 1, or by the service manager).
  const store = await openStore(config, { mode: config.sqliteMode, onDown: (err) => {
    log.fatal({ err: err.message }, 'the SQLite store thread died; exiting')
    process.exit(70)
  } })
  const keys = await openKeys(config, log)
  // Compile the policy set in force (the shipped one on first start) before taking requests, not on the first one.
  await policySourceFor(store).current()
  const metrics = createMetrics({ outboxPending: () => store.outbox.pending(), keyFileFailingSeconds: () => keyFileFailingSeconds(keys, Date.now()) })
  const outbox = startDispatcher({ store, config, log, now: Date.now, onAttempt: (outcome) => metrics.webhookAttempts.inc({ outcome }) })
  const deps = {
    config, store, keys, log, now: Date.now, metrics, outbox,
    attestationPolicies,
  }
  const { listener, serverOptions } = createApp(deps)
  // Pending approval requests past their time become `expired` (and say so through the outbox).
  const expiries = setInterval(() => void expireDueApprovals(deps).catch((err: Error) => log.warn({ err: err.message }, 'approval expiry sweep failed')), 15_000)
  expiries.unref()
  // Once stopping: every answer says `Connection: close` (a keep-alive client, a load balancer's pooled connection,
  // must not go on sending here while the process waits for it to go quiet) and /readyz says 503, so that the
  // load balancer stops routing here. Requests already sent on an open connection are still answered.
  let stopping = false
  const serve: http.RequestListener = (req, res) => {
    if (stopping) {
      res.setHeader('Connection', 'close')
      if (req.url === '/readyz') {
        res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end('{"status":"stopping"}')
        return
      }
    }
    listener(req, res)
  }
  const server = http.createServer(serverOptions, serve).listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo
    log.info({ port, store: store.kind, rpId: config.rpId, origins: config.origins }, `Sigil listening on http://localhost:${port}`)
  })
  // The port taken, or a HOST that is no address of this machine: one message naming the setting, and exit 78 (as
  // for a bad variable), which a cluster primary does not answer by starting the worker again.
  const onListenError = (err: NodeJS.ErrnoException): void => {
    const what = err.code === 'EADDRINUSE' ? `port ${config.port} on ${config.host} is already in use (PORT, HOST)`
      : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? `HOST ${config.host} is not an address of this machine`
      : err.code === 'EACCES' ? `no permission to listen on port ${config.port} (PORT)` : `cannot listen: ${err.message}`
    process.stderr.write(`sigil: ${what}\n`)
    process.exit(EXIT_CONFIG)
  }
  // Only for the listen itself: a later server error (an accept failing under EMFILE) is not a configuration problem.
  server.once('error', onListenError)
  server.once('listening', () => server.off('error', onListenError))
  server.headersTimeout = 15_000
  server.requestTimeout = 30_000
  server.keepAliveTimeout = 5_000
  // A failed re-read is logged by the ring (once per distinct error) and keeps the last good key set.
  const refresh = setInterval(() => void keys.refresh(), KEY_REFRESH_SECONDS * 1000)
  refresh.unref()
  // Every process runs it; one of them signs per interval (see createCheckpointer), the others check the chain.
  const checkpointer = createCheckpointer({ store, keys, config, now: Date.now },
    { anchorFile: auditAnchorFile(config), intervalMs: config.auditCheckpointSeconds * 1000 })
  const checkpoints = setInterval(() => void checkpointer.run().then(
    (entry) => metrics.auditCheckpoints.inc({ outcome: entry ? 'signed' : 'skipped' }),
    (err: Error) => {
      metrics.auditCheckpoints.inc({ outcome: err instanceof CheckpointRefusedError ? 'refused' : 'failed' })
      log.error({ err: err.message, code: (err as { code?: string }).code }, 'audit checkpoint failed')
    }), config.auditCheckpointSeconds * 1000)
  checkpoints.unref()

  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down: finishing requests in flight')
    const force = setTimeout(() => { log.warn('forced exit after 10 s'); process.exit(1) }, 10_000)
    force.unref()
    server.close(async () => {
      clearInterval(idle)
      await outbox.stop()
      await store.close()
      log.info('stopped')
      process.exit(0)
    })
    // Connections with no request under way close now; the others once their answer (marked close) is out. A
    // connection that went idle between two of its requests is closed on the next sweep.
    server.closeIdleConnections()
    const idle = setInterval(() => server.closeIdleConnections(), 100)
    idle.unref()
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

/**
 * SIGIL_WORKERS > 1: this process prepares the store (migrations) and keys once, then runs that many server
 * processes on the shared port, restarts one that dies, and passes SIGTERM on for a graceful stop.
 */
async function supervise(config: Config, log: Logger): Promise<void> {
  const store = await openStore(config)
  await openKeys(config, log)
  await store.close()
  let stopping = false
  for (let i = 0; i < config.workers; i++) cluster.fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0)
      return
    }
    if (code === EXIT_CONFIG) {
      // The worker cannot run with this configuration (it said why on stderr): another would fail the same way.
      stopping = true
      log.fatal({ worker: worker.process.pid, exitCode: code }, 'a worker cannot start with this configuration; stopping')
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
      process.exitCode = EXIT_CONFIG
      setTimeout(() => process.exit(EXIT_CONFIG), 12_000).unref()
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(EXIT_CONFIG)
      return
    }
    log.error({ worker: worker.process.pid, exitCode: code, signal }, 'worker died; starting another')
    setTimeout(() => cluster.fork(), 1000)
  })
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'stopping workers')
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
    setTimeout(() => process.exit(1), 12_000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err: unknown) => {
  process.stderr.write(`sigil: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
