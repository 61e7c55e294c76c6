import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { EVENT_TYPES, newWebhookSecret, webhookUrlProblem } from '../../audit/index.ts'
import type { WebhookDelivery, WebhookSubscription } from '../../store/index.ts'
import type { AppDeps } from '../../deps.ts'
import type { Api } from '../route.ts'
import { ProblemError } from '../problem.ts'

const zEventTypes = z.array(z.enum(['*', ...EVENT_TYPES])).min(1).max(64)
  .describe('Event types to deliver, or ["*"] for every type.')
const zCreateWebhook = z.strictObject({
  url: z.string().max(2000).describe('Receiver URL: https (http only for loopback receivers); its host must be a public address unless SIGIL_WEBHOOK_ALLOW_PRIVATE'),
  description: z.string().max(200).default(''),
  eventTypes: zEventTypes.default(['*']),
})
const zUpdateWebhook = z.strictObject({
  url: z.string().max(2000).optional(),
  description: z.string().max(200).optional(),
  eventTypes: zEventTypes.optional(),
  enabled: z.boolean().optional().describe('false pauses deliveries (they wait, not counted as attempts)'),
})
const zWebhookParams = z.strictObject({ id: z.string().regex(/^wh_[A-Za-z0-9_-]{1,64}$/) })
const zDeliveryQuery = z.strictObject({
  state: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
})
const zReplayRequest = z.strictObject({
  deliveryId: z.string().regex(/^dlv_[A-Za-z0-9_-]{1,64}$/).optional().describe('One delivery; all dead ones of the subscription when absent'),
})

const zWebhook = z.object({
  id: z.string(), url: z.string(), description: z.string(), eventTypes: z.array(z.string()), enabled: z.boolean(),
  createdAt: z.iso.datetime(),
})
const zDelivery = z.object({
  id: z.string(), eventId: z.string(), eventType: z.string(), state: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.number().int(), nextAttemptAt: z.iso.datetime().nullable(), lastAttemptAt: z.iso.datetime().nullable(),
  lastStatus: z.number().int().nullable(), lastError: z.string().nullable(), createdAt: z.iso.datetime(),
})

const iso = (t: number) => new Date(t).toISOString()

function view(s: WebhookSubscription) {
  return { id: s.id, url: s.url, description: s.description, eventTypes: s.eventTypes, enabled: s.disabledAt === null,
    createdAt: iso(s.createdAt) }
}

function deliveryView(d: WebhookDelivery) {
  return { id: d.id, eventId: d.event.id, eventType: d.event.type, state: d.state, attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? iso(d.nextAttemptAt) : null,
    lastAttemptAt: d.lastAttemptAt === null ? null : iso(d.lastAttemptAt), lastStatus: d.lastStatus,
    lastError: d.lastError, createdAt: iso(d.createdAt) }
}

function checkUrl(deps: AppDeps, url: string): string {
  const problem = webhookUrlProblem(url, deps.config.webhooks.allowHttp, deps.config.webhooks.allowPrivate, deps.config.webhooks.allowLoopback)
  if (problem) throw new ProblemError('webhook_url_invalid', 400, { detail: `url: ${problem}.`, field: 'url' })
  // Stored and shown as the URL deliveries go to: a lookalike host (a Cyrillic "а" in "exаmple.com") shows as its
  // xn-- form, not as the name it imitates.
  return new URL(url).href
}

async function subscription(deps: AppDeps, id: string): Promise<WebhookSubscription> {
  const s = await deps.store.webhooks.getSubscription(id)
  if (!s) throw new ProblemError('webhook_not_found', 404, { field: 'id' })
  return s
}

const AUTH = { tag: 'Webhooks', auth: 'client' as const, roles: ['webhook-admin'] }
const COMMON_ERRORS = ['unauthenticated', 'client_role_forbidden']

export function webhookRoutes(api: Api): void {
  api.add({
    ...AUTH, method: 'post', path: '/v1/webhooks', operationId: 'createWebhook', status: 201, secretResponse: true,
    summary: 'Subscribe a receiver to events (Standard Webhooks signatures; the secret is shown once)',
    description: 'Each delivery is a POST with `webhook-id` (the event id, stable across retries: deduplicate on it), `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret. Failed deliveries are retried with exponential backoff, then marked dead; replay them with POST /v1/webhooks/:id/replay.',
    body: zCreateWebhook, response: zWebhook.extend({ secret: z.string() }),
    errors: [...COMMON_ERRORS, 'request_invalid', 'webhook_url_invalid'],
    handler: async ({ deps, body }) => {
      const sub: WebhookSubscription = { id: `wh_${randomBytes(12).toString('base64url')}`, url: checkUrl(deps, body.url),
        description: body.description, eventTypes: body.eventTypes, secret: newWebhookSecret(), createdAt: deps.now(), disabledAt: null }
      await deps.store.webhooks.createSubscription(sub)
      return { ...view(sub), secret: sub.secret }
    },
  })
  api.add({
    ...AUTH, method: 'get', path: '/v1/webhooks', operationId: 'listWebhooks', summary: 'List webhook subscriptions',
    response: z.object({ webhooks: z.array(zWebhook) }), errors: COMMON_ERRORS,
    handler: async ({ deps }) => ({ webhooks: (await deps.store.webhooks.listSubscriptions()).map(view) }),
  })
  api.add({
    ...AUTH, method: 'get', path: '/v1/webhooks/:id', operationId: 'getWebhook', summary: 'One webhook subscription',
    params: zWebhookParams, response: zWebhook, errors: [...COMMON_ERRORS, 'webhook_not_found'],
    handler: async ({ deps, params }) => view(await subscription(deps, params.id)),
  })
  api.add({
    ...AUTH, method: 'patch', path: '/v1/webhooks/:id', operationId: 'updateWebhook',
    summary: 'Change the URL, description or event types of a subscription, or pause/resume it',
    params: zWebhookParams, body: zUpdateWebhook, response: zWebhook,
    errors: [...COMMON_ERRORS, 'request_invalid', 'webhook_not_found', 'webhook_url_invalid'],
    handler: async ({ deps, params, body }) => {
      const updated = await deps.store.webhooks.updateSubscription(params.id, {
        url: body.url === undefined ? undefined : checkUrl(deps, body.url), description: body.description,
        eventTypes: body.eventTypes, disabledAt: body.enabled === undefined ? undefined : body.enabled ? null : deps.now(),
      })
      if (!updated) throw new ProblemError('webhook_not_found', 404, { field: 'id' })
      return view(updated)
    },
  })
  api.add({
    ...AUTH, method: 'delete', path: '/v1/webhooks/:id', operationId: 'deleteWebhook', status: 204,
    summary: 'Delete a subscription and its delivery log', params: zWebhookParams, errors: [...COMMON_ERRORS, 'webhook_not_found'],
    handler: async ({ deps, params }) => {
      if (!(await deps.store.webhooks.deleteSubscription(params.id))) throw new ProblemError('webhook_not_found', 404, { field: 'id' })
      return undefined
    },
  })
  api.add({
    ...AUTH, method: 'get', path: '/v1/webhooks/:id/deliveries', operationId: 'listWebhookDeliveries',
    summary: 'Recent deliveries of a subscription, newest first (query: state, limit)',
    params: zWebhookParams, query: zDeliveryQuery, response: z.object({ deliveries: z.array(zDelivery) }),
    errors: [...COMMON_ERRORS, 'request_invalid', 'webhook_not_found'],
    handler: async ({ deps, params, query: q }) => {
      await subscription(deps, params.id)
      const list = await deps.store.webhooks.listDeliveries({ subscriptionId: params.id, state: q.state, limit: q.limit })
      return { deliveries: list.map(deliveryView) }
    },
  })
  api.add({
    ...AUTH, method: 'post', path: '/v1/webhooks/:id/replay', operationId: 'replayWebhookDeliveries',
    summary: 'Deliver dead deliveries again (one, or all of the subscription), from a fresh attempt count',
    params: zWebhookParams, body: zReplayRequest, response: z.object({ replayed: z.number().int() }),
    errors: [...COMMON_ERRORS, 'request_invalid', 'webhook_not_found'],
    handler: async ({ deps, params, body }) => {
      await subscription(deps, params.id)
      const replayed = await deps.store.webhooks.replay({ subscriptionId: params.id, deliveryId: body.deliveryId }, deps.now())
      deps.outbox?.kick()
      return { replayed }
    },
  })
}
