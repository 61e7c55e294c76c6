import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedWebhook {
  headers: Record<string, string>
  body: string
  at: number
}

export interface WebhookReceiver {
  url: string
  port: number
  received: ReceivedWebhook[]
  /** The status the next requests get (204 by default). */
  respondWith: (status: number) => void
  /** Resolves once `predicate` holds over what was received, or rejects after `timeoutMs`. */
  waitFor: (predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number, onPoll?: () => void) => Promise<void>
  close: () => Promise<void>
}

/** A local webhook receiver that records every POST; `port` 0 picks a free one. */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = []
  let status = 204
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
      received.push({ headers, body, at: Date.now() })
      res.statusCode = status
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const actual = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${actual}/hooks`,
    port: actual,
    received,
    respondWith: (s) => { status = s },
    async waitFor(predicate, timeoutMs = 15_000, onPoll) {
      const until = Date.now() + timeoutMs
      while (!predicate(received)) {
        if (Date.now() > until) throw new Error(`webhooks not received within ${timeoutMs} ms; got ${received.length}`)
        onPoll?.()
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async close() {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}
