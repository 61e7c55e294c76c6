import type { Request } from 'express'
import type { AppDeps } from '../../deps.ts'
import { hitLimit } from '../../rateLimits.ts'

/** Per client IP (express `trust proxy` decides which address that is), counted in the store. */
export function rateLimitIp(deps: AppDeps, req: Request, bucket: string, limit = deps.config.rateLimitPerMinute): Promise<void> {
  return hitLimit(deps, ipLimitKey(req, bucket), limit)
}

export const ipLimitKey = (req: Request, bucket: string): string => `ip:${clientBucket(req.ip)}:${bucket}`

/** IPv6 clients usually hold a whole /64: count them per /64, not per address. */
export function clientBucket(ip: string | undefined): string {
  if (!ip) return 'unknown'
  if (!ip.includes(':') || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return ip.replace(/^::ffff:/i, '')
  const [head = '', tail = ''] = ip.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const full = [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return full.slice(0, 4).map((x) => x.toLowerCase().replace(/^0+(?=.)/, '')).join(':') + '::/64'
}
