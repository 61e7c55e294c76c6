import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Standard Webhooks (https://www.standardwebhooks.com/, spec "Signature scheme"): the signed content is
 * `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256 with the secret's bytes (base64 after `whsec_`),
 * sent as `webhook-signature: v1,<base64>`; several space-separated signatures may be sent during rotation.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_'

export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64')
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret, 'base64')
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretBytes(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64')
  return `v1,${mac}`
}

export interface VerifyWebhookOptions {
  /** Epoch ms; the timestamp must be within `toleranceSeconds` of it (replay protection). */
  now: number
  toleranceSeconds?: number
}

/**
 * What a receiver runs: checks the timestamp window and that one of the signatures matches, in constant time.
 * Throws on failure; returns the parsed payload.
 */
export function verifyWebhook(secret: string, headers: Record<string, string | undefined>, body: string,
  opts: VerifyWebhookOptions): unknown {
  const id = headers['webhook-id']
  const ts = headers['webhook-timestamp']
  const sigs = headers['webhook-signature']
  if (!id || !ts || !sigs || !/^\d{1,12}$/.test(ts)) throw new Error('missing webhook headers')
  const tolerance = opts.toleranceSeconds ?? 300
  if (Math.abs(opts.now / 1000 - Number(ts)) > tolerance) throw new Error('webhook timestamp outside the tolerance')
  const expected = Buffer.from(signWebhook(secret, id, Number(ts), body).slice(3), 'base64')
  const ok = sigs.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false
    const got = Buffer.from(s.slice(3), 'base64')
    return got.length === expected.length && timingSafeEqual(got, expected)
  })
  if (!ok) throw new Error('no matching webhook signature')
  return JSON.parse(body)
}
