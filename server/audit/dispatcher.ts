import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { Agent, request } from 'undici'
import type { Config } from '../config.ts'
import type { DeliveryOutcome, OutboxEvent, Store, WebhookDelivery, WebhookSubscription } from '../store/index.ts'
import { signWebhook } from './webhookSignature.ts'
import { publicOnlyLookup, receiverLiteralProblem, type LookupFunction } from './webhookUrl.ts'

export interface DispatcherDeps {
  store: Store
  config: Pick<Config, 'webhooks'>
  log: Logger
  now: () => number
  /** Counts attempts by outcome (delivered, retry, dead); optional. */
  onAttempt?: (outcome: 'delivered' | 'retry' | 'dead') => void
  /** Resolves receiver host names (node:dns `lookup` by default; tests point a name at a local receiver). */
  lookup?: LookupFunction
}

export interface Dispatcher {
  /** One round: hand outbox events to subscriptions, then deliver what is due. Returns the work done. */
  tick(): Promise<{ events: number; attempts: number }>
  /** Ask for a round soon (after a request wrote events), instead of at the next poll. */
  kick(): void
  stop(): Promise<void>
}

/** Longest wait between attempts. */
const MAX_BACKOFF_MS = 6 * 3600_000
const BATCH = 100
/** Parallel deliveries per instance, and deliveries claimed per round. */
const CONCURRENCY = 16
/** Kicks within this long of each other share one round, so a busy server does not poll the store per request. */
const KICK_DELAY_MS = 25

/** The delivery id is a function of event and subscription, so handing an event on twice makes one delivery. */
export function deliveryId(eventId: string, subscriptionId: string): string {
  return 'dlv_' + createHash('sha256').update(`${eventId}\n${subscriptionId}`).digest('base64url').slice(0, 27)
}

/** Standard Webhooks payload: type, timestamp, data. `data.subject` is the entity the event is about. */
export function webhookBody(e: OutboxEvent): string {
  return JSON.stringify({ type: e.type, timestamp: new Date(e.at).toISOString(), data: { subject: e.subject, ...e.data } })
}

/** A paused subscription still gets its deliveries; they wait until it is resumed. */
export function wants(sub: WebhookSubscription, type: string): boolean {
  return sub.eventTypes.includes('*') || sub.eventTypes.includes(type)
}

/** Exponential backoff with ±20 % jitter: base, 2×base, 4×base… capped at six hours. */
export function backoffMs(base: number, attempts: number, rnd: number = Math.random()): number {
  const raw = Math.min(MAX_BACKOFF_MS, base * 2 ** Math.max(0, attempts - 1))
  return Math.round(raw * (0.8 + 0.4 * rnd))
}

/**
 * The outbox dispatcher. Every instance runs one; the store's atomic claims make sure only one instance
 * attempts a given delivery at a time (a claim leases it for longer than an attempt can take). Delivery is
 * at least once: receivers deduplicate on `webhook-id`, which is the event id and stays the same on retries.
 */
export function startDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store, log } = deps
  const cfg = deps.config.webhooks
  // Keep-alive connections to receivers; redirects are not followed (a receiver must answer where it is). Every
  // connection resolves its host through publicOnlyLookup, which refuses addresses inside the network.
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 32, headersTimeout: cfg.timeoutMs, bodyTimeout: cfg.timeoutMs,
    connect: { lookup: publicOnlyLookup(cfg.allowPrivate, deps.lookup) } })
  // A lease outlives the longest attempt, so no other instance takes the delivery while it is in flight.
  const leaseMs = cfg.timeoutMs * 2 + 5000
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let again = false
  let stopped = false

  async function fanOut(events: OutboxEvent[]): Promise<void> {
    const subs = await store.webhooks.listSubscriptions()
    const deliveries: WebhookDelivery[] = []
    const t = deps.now()
    for (const e of events) {
      for (const s of subs) {
        if (!wants(s, e.type)) continue
        deliveries.push({ id: deliveryId(e.id, s.id), subscriptionId: s.id, event: e, state: 'pending', attempts: 0,
          nextAttemptAt: t, lastAttemptAt: null, lastStatus: null, lastError: null, createdAt: t })
      }
    }
    await store.webhooks.enqueue(deliveries)
  }

  async function attempt(d: WebhookDelivery, subs: Map<string, Promise<WebhookSubscription | undefined>>): Promise<void> {
    const leaseUntil = d.nextAttemptAt
    // The promise is kept, so the pool's workers read each subscription once per round, not once each.
    if (!subs.has(d.subscriptionId)) subs.set(d.subscriptionId, store.webhooks.getSubscription(d.subscriptionId))
    const sub = await subs.get(d.subscriptionId)
    const started = deps.now()
    if (!sub || sub.disabledAt !== null) {
      // Paused: try again in a minute without counting an attempt.
      await store.webhooks.settle(d.id, leaseUntil, { state: 'pending', attempts: d.attempts, nextAttemptAt: started + 60_000,
        lastAttemptAt: d.lastAttemptAt ?? started, lastStatus: d.lastStatus, lastError: 'subscription disabled' })
      return
    }
    const body = webhookBody(d.event)
    const ts = Math.floor(started / 1000)
    let status: number | null = null
    let error: string | null = null
    try {
      // An IP literal never reaches the lookup; a subscription stored before the address rule (or under another
      // setting) is checked here.
      const literal = receiverLiteralProblem(sub.url, cfg.allowPrivate)
      if (literal) throw Object.assign(new Error(literal), { code: 'ERR_WEBHOOK_ADDRESS_NOT_PUBLIC' })
      const res = await request(sub.url, {
        method: 'POST', body, dispatcher: agent, signal: AbortSignal.timeout(cfg.timeoutMs),
        headers: { 'content-type': 'application/json', 'user-agent': 'Sigil-Webhooks/1', 'webhook-id': d.event.id,
          'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(sub.secret, d.event.id, ts, body) },
      })
      status = res.statusCode
      await res.body.dump().catch(() => {})
      if (status < 200 || status > 299) error = `HTTP ${status}`
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string }
      error = e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT'
        ? `no answer within ${cfg.timeoutMs} ms`
        : e.code === 'ERR_WEBHOOK_ADDRESS_NOT_PUBLIC' ? e.message!
          : `connection failed: ${e.code ?? e.message ?? String(err)}`
    }
    const attempts = d.attempts + 1
    const t = deps.now()
    const outcome: DeliveryOutcome = error === null
      ? { state: 'delivered', attempts, nextAttemptAt: t, lastAttemptAt: t, lastStatus: status, lastError: null }
      : attempts >= cfg.maxAttempts
        ? { state: 'dead', attempts, nextAttemptAt: t, lastAttemptAt: t, lastStatus: status, lastError: error }
        : { state: 'pending', attempts, nextAttemptAt: t + backoffMs(cfg.backoffMs, attempts), lastAttemptAt: t, lastStatus: status, lastError: error }
    const kept = await store.webhooks.settle(d.id, leaseUntil, outcome)
    const result = outcome.state === 'pending' ? 'retry' : outcome.state
    deps.onAttempt?.(result)
    if (!kept) log.warn({ delivery: d.id }, 'webhook delivery lease lapsed; another instance owns it now')
    else if (result === 'dead') log.warn({ delivery: d.id, subscription: sub.id, error }, 'webhook delivery dead after its last attempt')
    else if (result === 'retry') log.info({ delivery: d.id, subscription: sub.id, attempts, error }, 'webhook delivery failed; will retry')
  }

  async function tick(): Promise<{ events: number; attempts: number }> {
    let events = 0
    for (;;) {
      const n = await store.outbox.drain(fanOut, BATCH)
      events += n
      if (n < BATCH) break
    }
    // As many as are attempted at once, each as soon as it is claimed: a lease (two timeouts and 5 s) covers one
    // attempt, not a queue behind others. Claiming 100 for 16 workers let the last leases lapse on slow receivers,
    // and another instance sent them again (seen: 20 of 100 twice).
    const due = await store.webhooks.claimDue(deps.now(), leaseMs, CONCURRENCY)
    const subs = new Map<string, Promise<WebhookSubscription | undefined>>()
    await Promise.all(due.map((d) => attempt(d, subs).catch((err: unknown) => {
      log.error({ err, delivery: d.id }, 'webhook attempt could not be recorded')
    })))
    return { events, attempts: due.length }
  }

  function schedule(ms: number): void {
    if (stopped) return
    clearTimeout(timer)
    timer = setTimeout(run, ms)
    timer.unref()
  }

  let kickPending = false
  function run(): void {
    kickPending = false
    if (running) { again = true; return }
    running = tick().then((r) => {
      again ||= r.attempts === CONCURRENCY
    }).catch((err: unknown) => {
      log.warn({ err }, 'outbox round failed; will retry')
    }).finally(() => {
      running = undefined
      const more = again
      again = false
      schedule(more ? KICK_DELAY_MS : cfg.pollMs)
    })
  }

  schedule(0)
  return {
    tick,
    kick() {
      if (stopped) return
      if (running) { again = true; return }
      // Sooner than the poll, never sooner than the kick delay: a burst of requests makes one round.
      if (!kickPending) {
        kickPending = true
        schedule(KICK_DELAY_MS)
      }
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
      await agent.close()
    },
  }
}
