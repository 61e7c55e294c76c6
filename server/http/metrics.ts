import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface Metrics {
  registry: Registry
  ceremonies: Counter<'ceremony' | 'outcome'>
  httpDuration: Histogram<'method' | 'route' | 'status'>
  httpInFlight: Gauge
  httpShed: Counter<'reason'>
  webhookAttempts: Counter<'outcome'>
  auditCheckpoints: Counter<'outcome'>
}

/**
 * One registry per app, so two apps in one test process do not collide. `outboxPending` (the store's count of
 * events not yet handed to webhook subscriptions) and `keyFileFailingSeconds` are read at each scrape, not per request.
 */
export function createMetrics(opts: { defaults?: boolean; outboxPending?: () => Promise<number>; keyFileFailingSeconds?: () => number } = {}): Metrics {
  const registry = new Registry()
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'sigil_' })
  const { outboxPending } = opts
  if (outboxPending) {
    new Gauge({
      name: 'sigil_outbox_pending_events',
      help: 'Events written and not yet handed to webhook subscriptions (all instances; NaN when the store cannot answer)',
      registers: [registry],
      async collect() {
        // A growing backlog means no instance is draining it; the store being down shows here as NaN and in /readyz.
        try { this.set(await outboxPending()) } catch { this.set(Number.NaN) }
      },
    })
  }
  const { keyFileFailingSeconds } = opts
  if (keyFileFailingSeconds) {
    new Gauge({
      name: 'sigil_key_file_failing_seconds',
      help: 'How long the signing key file has failed to load (0 while it loads); the last good key set is used meanwhile',
      registers: [registry],
      collect() { this.set(keyFileFailingSeconds()) },
    })
  }
  return {
    registry,
    ceremonies: new Counter({
      name: 'sigil_ceremonies_total',
      help: 'WebAuthn and recovery ceremonies by kind and outcome (ok or the problem code)',
      labelNames: ['ceremony', 'outcome'],
      registers: [registry],
    }),
    auditCheckpoints: new Counter({
      name: 'sigil_audit_checkpoints_total',
      help: 'Audit checkpoint runs by outcome: signed, skipped (the chain checked; another process signed within the interval, or the log is empty), refused (the chain no longer links to what was signed: alert on it) or failed',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: 'sigil_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry or dead',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'sigil_http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    httpInFlight: new Gauge({
      name: 'sigil_http_requests_in_flight',
      help: 'HTTP requests admitted and not yet answered (probes and metrics aside)',
      registers: [registry],
    }),
    httpShed: new Counter({
      name: 'sigil_http_requests_shed_total',
      help: 'HTTP requests shed with 503 overloaded, by reason: in_flight, event_loop, latency or utilization',
      labelNames: ['reason'],
      registers: [registry],
    }),
  }
}

/** What the web app's and the API docs' static files are counted and logged as: one label each, never their paths. */
export const WEB_APP_ROUTE = '(web app)'
export const DOCS_ROUTE = '/docs (static)'
