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
  /** Ask for a round soon (after a request wrote events), instead of at the next poll. */
  kick(): void
  stop(): Promise<void>
}

/** Longest wait between attempts. */
const MAX_BACKOFF_MS = 6 * 3600_000
const BATCH = 100
/** Attempts in flight per instance: a delivery is claimed when one of these slots is free, not before. */
const CONCURRENCY = 16
/**
 * Attempts in flight per subscription, over all instances (the claim counts the store's leases): a receiver that
 * never answers holds this many slots for a timeout each, and the others go on using the rest.
 */
const PER_SUBSCRIPTION = 4
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
    connect: { lookup: publicOnlyLookup(cfg.allowPrivate, deps.lookup, cfg.allowLoopback) } })
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
    // The promise is kept, so the deliveries of one claim read each subscription once, not once each.
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
      const literal = receiverLiteralProblem(sub.url, cfg.allowPrivate, cfg.allowLoopback)
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

  // The pool: attempts in flight, and the claim that fills free slots (one at a time, so two never both count the
  // same free slots). Each attempt that ends frees its slot at once, for the next due delivery, so a receiver that
  // never answers holds only its own slots and not a round of everyone's (seen: a healthy receiver's 64 events
  // took 7 s behind one that timed out, against 0.2 s alone). Only as many are claimed as are started: a lease (two
  // timeouts and 5 s) covers one attempt, not a queue behind others. Claiming 100 for 16 workers let the last
  // leases lapse on slow receivers, and another instance sent them again (seen: 20 of 100 twice).
  const inFlight = new Set<Promise<void>>()
  let claiming: Promise<void> | undefined
  let claimAgain = false

  function fillSlots(): Promise<void> {
    if (claiming) {
      claimAgain = true
      return claiming
    }
    claiming = (async () => {
      do {
        claimAgain = false
        const free = CONCURRENCY - inFlight.size
        if (free <= 0 || stopped) return
        // In event order, and never a second delivery of an entity while one is in flight (the store sees to both).
        const due = await store.webhooks.claimDue(deps.now(), leaseMs, free, { perSubscription: PER_SUBSCRIPTION })
        const subs = new Map<string, Promise<WebhookSubscription | undefined>>()
        for (const d of due) {
          const p: Promise<void> = attempt(d, subs).catch((err: unknown) => {
            log.error({ err, delivery: d.id }, 'webhook attempt could not be recorded')
          }).finally(() => {
            inFlight.delete(p)
            // The slot is free, and the entity's next event may be due now.
            void fillSlots()
          })
          inFlight.add(p)
        }
      } while (claimAgain)
    })().catch((err: unknown) => {
      log.warn({ err }, 'webhook claim failed; will retry')
    }).finally(() => {
      claiming = undefined
    })
    return claiming
  }

  /** A round: hand outbox events to subscriptions, then fill the free slots with due deliveries. */
  async function round(): Promise<void> {
    for (;;) {
      const n = await store.outbox.drain(fanOut, BATCH)
      if (n < BATCH) break
    }
    await fillSlots()
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
    running = round().catch((err: unknown) => {
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
      await claiming
      await Promise.all(inFlight)
      await agent.close()
    },
  }
}
