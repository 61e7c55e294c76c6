import type { AddressInfo } from 'node:net'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { createApp } from './http/app.ts'
import { createMetrics } from './http/metrics.ts'
import { loadAttestationPolicies } from './passkeys/attestationPolicy.ts'
import { createLogger, openKeys, openStore } from './runtime.ts'

async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sigil: ${err.message}\n`)
      process.exit(78)
    }
    throw err
  }
  const log = createLogger(config.logLevel)
  const store = openStore(config)
  const keys = await openKeys(config, log)
  const { app } = createApp({
    config, store, keys, log, now: Date.now, metrics: createMetrics(),
    attestationPolicies: loadAttestationPolicies(config.attestationPolicyFile),
  })
  const server = app.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo
    log.info({ port, store: store.kind, rpId: config.rpId, origins: config.origins }, `Sigil listening on http://localhost:${port}`)
  })
  server.headersTimeout = 15_000
  server.requestTimeout = 30_000
  server.keepAliveTimeout = 5_000
  const refresh = setInterval(() => void keys.refresh().catch((err: Error) => log.error({ err: err.message }, 'key refresh failed')), 30_000)
  refresh.unref()

  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down: finishing requests in flight')
    const force = setTimeout(() => { log.warn('forced exit after 10 s'); process.exit(1) }, 10_000)
    force.unref()
    server.close(async () => {
      await store.close()
      log.info('stopped')
      process.exit(0)
    })
    server.closeIdleConnections()
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((err: unknown) => {
  process.stderr.write(`sigil: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
