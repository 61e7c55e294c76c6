import type { Database } from 'better-sqlite3'
import type { DeliveryState, OutboxEvent, WebhookDelivery, WebhookStore, WebhookSubscription } from '../ports.ts'
import { rethrowConflict } from './conflict.ts'
import { limited } from './limited.ts'

interface SubscriptionRow {
  id: string
  url: string
  description: string
  event_types: string
  secret: string
  created_at: number
  disabled_at: number | null
}

interface DeliveryRow {
  id: string
  subscription_id: string
  event: string
  state: string
  attempts: number
  next_attempt_at: number
  last_attempt_at: number | null
  last_status: number | null
  last_error: string | null
  created_at: number
}

function toSubscription(r: SubscriptionRow): WebhookSubscription {
  return { id: r.id, url: r.url, description: r.description, eventTypes: JSON.parse(r.event_types) as string[],
    secret: r.secret, createdAt: r.created_at, disabledAt: r.disabled_at }
}

function toDelivery(r: DeliveryRow): WebhookDelivery {
  return { id: r.id, subscriptionId: r.subscription_id, event: JSON.parse(r.event) as OutboxEvent,
    state: r.state as DeliveryState, attempts: r.attempts, nextAttemptAt: r.next_attempt_at,
    lastAttemptAt: r.last_attempt_at, lastStatus: r.last_status, lastError: r.last_error, createdAt: r.created_at }
}

function toRow(d: WebhookDelivery): DeliveryRow {
  return { id: d.id, subscription_id: d.subscriptionId, event: JSON.stringify(d.event), state: d.state,
    attempts: d.attempts, next_attempt_at: d.nextAttemptAt, last_attempt_at: d.lastAttemptAt,
    last_status: d.lastStatus, last_error: d.lastError, created_at: d.createdAt }
}

/** Delivered deliveries are kept this long for the delivery log, then dropped. */
const KEEP_DELIVERED_MS = 7 * 24 * 3600_000

/**
 * Due deliveries a claim reads per subscription. Only an entity with this many due behind one leased delivery
 * makes the claim stop short in that subscription (its other entities wait for that backlog to shrink).
 */
const CLAIM_SCAN = 500

/** A due delivery as the claim reads it (covered by the index webhook_deliveries_due). */
interface Candidate { id: string; next_attempt_at: number; seq: number; subject: string }

const entityKey = (subscriptionId: string, subject: string) => `${subscriptionId}\n${subject}`

export function sqliteWebhooks(db: Database): WebhookStore {
  const insertSub = db.prepare<[SubscriptionRow]>(`INSERT INTO webhook_subscriptions (id, url, description,
    event_types, secret, created_at, disabled_at) VALUES (@id, @url, @description, @event_types, @secret,
    @created_at, @disabled_at)`)
  const subById = db.prepare<[string], SubscriptionRow>('SELECT * FROM webhook_subscriptions WHERE id = ?')
  const allSubs = db.prepare<[], SubscriptionRow>('SELECT * FROM webhook_subscriptions ORDER BY created_at, id')
  const updateSub = db.prepare<[SubscriptionRow]>(`UPDATE webhook_subscriptions SET url = @url,
    description = @description, event_types = @event_types, disabled_at = @disabled_at WHERE id = @id`)
  const deleteSub = db.prepare<[string]>('DELETE FROM webhook_subscriptions WHERE id = ?')
  // A delivery of a subscription deleted meanwhile is dropped (the subquery finds no row to insert).
  // seq numbers deliveries in the order they are enqueued (event order): the claim's tie-break.
  const insertDelivery = db.prepare<[DeliveryRow & { subject: string }]>(`INSERT OR IGNORE INTO webhook_deliveries (id,
    subscription_id, event, state, attempts, next_attempt_at, last_attempt_at, last_status, last_error, created_at, seq,
    subject)
    SELECT @id, @subscription_id, @event, @state, @attempts, @next_attempt_at, @last_attempt_at, @last_status,
    @last_error, @created_at, (SELECT ifnull(max(seq), 0) + 1 FROM webhook_deliveries), @subject
    WHERE EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = @subscription_id)`)
  const subscriptionIds = db.prepare<[], string>('SELECT id FROM webhook_subscriptions').pluck()
  const leased = db.prepare<[number], { subscription_id: string; subject: string }>(`SELECT subscription_id, subject
    FROM webhook_deliveries WHERE lease_until > ? AND state = 'pending'`)
  const dueOf = limited<[string, number], Candidate>(db, `SELECT id, next_attempt_at, seq, subject
    FROM webhook_deliveries WHERE subscription_id = ? AND state = 'pending' AND next_attempt_at <= ?
    ORDER BY next_attempt_at, seq LIMIT {limit}`)
  const lease = db.prepare<[{ lease: number; id: string }], DeliveryRow>(`UPDATE webhook_deliveries
    SET next_attempt_at = @lease, lease_until = @lease WHERE id = @id RETURNING *`)
  const claim = db.transaction((now: number, leaseUntil: number, limit: number, cap: number) => {
    // Entities (subscription and subject) with a delivery leased, and leases per subscription.
    const busy = new Set<string>()
    const perSub = new Map<string, number>()
    for (const r of leased.all(now)) {
      busy.add(entityKey(r.subscription_id, r.subject))
      perSub.set(r.subscription_id, (perSub.get(r.subscription_id) ?? 0) + 1)
    }
    // Each subscription's own queue: one at its cap costs a lookup, not a read past its backlog.
    const picks: Candidate[] = []
    for (const sub of subscriptionIds.all()) {
      let room = Math.min(limit, cap - (perSub.get(sub) ?? 0))
      if (room <= 0) continue
      for (const c of dueOf(CLAIM_SCAN).all(sub, now)) {
        const key = entityKey(sub, c.subject)
        // The first due delivery of an entity is its turn; the ones behind it wait, as do all while one is leased.
        if (busy.has(key)) continue
        busy.add(key)
        picks.push(c)
        if (--room === 0) break
      }
    }
    picks.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.seq - b.seq)
    return picks.slice(0, limit).map((c) => toDelivery(lease.get({ lease: leaseUntil, id: c.id })!))
  })
  type SettleRow = Pick<DeliveryRow, 'id' | 'state' | 'attempts' | 'next_attempt_at' | 'last_attempt_at'
    | 'last_status' | 'last_error'> & { lease: number }
  const settle = db.prepare<[SettleRow]>(`UPDATE webhook_deliveries SET state = @state, lease_until = NULL,
    attempts = @attempts, next_attempt_at = @next_attempt_at, last_attempt_at = @last_attempt_at,
    last_status = @last_status, last_error = @last_error
    WHERE id = @id AND state = 'pending' AND next_attempt_at = @lease`)
  const deliveryById = db.prepare<[string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?')
  const list = limited<[{ sub: string | null; state: string | null }], DeliveryRow>(db, `SELECT *
    FROM webhook_deliveries WHERE (@sub IS NULL OR subscription_id = @sub) AND (@state IS NULL OR state = @state)
    ORDER BY created_at DESC, id DESC LIMIT {limit}`)
  const replay = db.prepare<[{ now: number; sub: string | null; id: string | null }]>(`UPDATE webhook_deliveries
    SET state = 'pending', next_attempt_at = @now, attempts = 0, lease_until = NULL
    WHERE state = 'dead' AND (@sub IS NULL OR subscription_id = @sub) AND (@id IS NULL OR id = @id)`)
  const prune = db.prepare<[number]>(`DELETE FROM webhook_deliveries WHERE state = 'delivered' AND created_at < ?`)
  const enqueue = db.transaction((deliveries: WebhookDelivery[]) => {
    for (const d of deliveries) insertDelivery.run({ ...toRow(d), subject: d.event.subject })
  })
  const update = db.transaction((id: string, patch: Parameters<WebhookStore['updateSubscription']>[1]) => {
    const row = subById.get(id)
    if (!row) return undefined
    const next: SubscriptionRow = { ...row, url: patch.url ?? row.url, description: patch.description ?? row.description,
      event_types: patch.eventTypes ? JSON.stringify(patch.eventTypes) : row.event_types,
      disabled_at: patch.disabledAt === undefined ? row.disabled_at : patch.disabledAt }
    updateSub.run(next)
    return toSubscription(next)
  })
  let lastPrune = -Infinity
  return {
    async createSubscription(s) {
      try {
        insertSub.run({ id: s.id, url: s.url, description: s.description, event_types: JSON.stringify(s.eventTypes),
          secret: s.secret, created_at: s.createdAt, disabled_at: s.disabledAt })
      } catch (err) {
        rethrowConflict(err)
      }
    },
    async getSubscription(id) {
      const row = subById.get(id)
      return row && toSubscription(row)
    },
    async listSubscriptions() {
      return allSubs.all().map(toSubscription)
    },
    async updateSubscription(id, patch) {
      return update.immediate(id, patch)
    },
    async deleteSubscription(id) {
      return deleteSub.run(id).changes === 1
    },
    async enqueue(deliveries) {
      if (deliveries.length === 0) return
      enqueue.immediate(deliveries)
      const t = deliveries[0]?.createdAt
      if (t !== undefined && t - lastPrune > 60_000) {
        lastPrune = t
        prune.run(t - KEEP_DELIVERED_MS)
      }
    },
    async claimDue(now, leaseMs, limit, options) {
      return claim.immediate(now, now + leaseMs, limit, options?.perSubscription ?? Infinity)
    },
    async settle(id, leaseUntil, o) {
      return settle.run({ id, lease: leaseUntil, state: o.state,
        attempts: o.attempts, next_attempt_at: o.nextAttemptAt, last_attempt_at: o.lastAttemptAt,
        last_status: o.lastStatus, last_error: o.lastError }).changes === 1
    },
    async getDelivery(id) {
      const row = deliveryById.get(id)
      return row && toDelivery(row)
    },
    async listDeliveries(f) {
      return list(f.limit).all({ sub: f.subscriptionId ?? null, state: f.state ?? null }).map(toDelivery)
    },
    async replay(f, now) {
      return replay.run({ now, sub: f.subscriptionId ?? null, id: f.deliveryId ?? null }).changes
    },
  }
}
