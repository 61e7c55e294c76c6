import { once } from 'node:events'
import { z } from 'zod'
import type { Api } from '../route.ts'

const zAuditQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
})

const PAGE = 1000

/** Waits until the response can take more (true) or the client has gone (false); no listener outlives the wait. */
async function drained(res: NodeJS.WritableStream & { destroyed: boolean }): Promise<boolean> {
  if (res.destroyed) return false
  const stop = new AbortController()
  try {
    return await Promise.race([
      once(res, 'drain', { signal: stop.signal }).then(() => true, () => false),
      once(res, 'close', { signal: stop.signal }).then(() => false, () => false),
    ])
  } finally {
    stop.abort()
  }
}

export function auditRoutes(api: Api): void {
  api.add({
    method: 'get', path: '/v1/audit', operationId: 'exportAudit', tag: 'Audit', auth: 'session', roles: ['auditor'],
    summary: 'Export the hash-chained audit log as NDJSON (role auditor)',
    description: 'One entry per line: seq, at, type, actor, subject, data, prevHash, hash. Entries of type audit.checkpoint carry a JWS over the seq and hash of an earlier entry. Check an export offline with `npm run sigil -- audit verify FILE --jwks keys.json` (keys from GET /v1/audit/keys). Query: after (seq; the entries after it), limit (at most 100000). Without limit, every entry after `after` to the end of the log. With limit, at most that many, and when more follow, a `Link: </v1/audit?after=SEQ&limit=N>; rel="next"` header names the next page; the last page has none.',
    // A bad cursor is refused, not read as "from the start": a paging tool would silently get everything again.
    query: zAuditQuery, responseType: 'application/x-ndjson',
    errors: ['unauthenticated', 'role_forbidden', 'request_invalid'],
    handler: async ({ deps, res, query: { after, limit } }) => {
      res.status(200).type('application/x-ndjson').setHeader('Cache-Control', 'no-store')
      if (limit === undefined) {
        // The whole log, a page at a time: an auditor who asks for the log gets all of it, never a silent cut.
        // Written as the client reads (a page waits for 'drain'), so a slow or stalled download holds one page in
        // memory, not the log; a client that goes away stops the reading.
        for (let seq = after; ;) {
          if (res.destroyed || res.writableEnded) return undefined
          const page = await deps.store.audit.list({ afterSeq: seq, limit: PAGE })
          if (page.length && !res.write(page.map((e) => JSON.stringify(e) + '\n').join('')) && !await drained(res)) return undefined
          if (page.length < PAGE) break
          seq = page.at(-1)!.seq
        }
        res.end()
        return undefined
      }
      // A page: read before answering, since the next cursor goes in a header.
      const lines: string[] = []
      let seq = after
      while (lines.length < limit) {
        const page = await deps.store.audit.list({ afterSeq: seq, limit: Math.min(PAGE, limit - lines.length) })
        for (const e of page) lines.push(JSON.stringify(e) + '\n')
        if (page.length === 0) break
        seq = page.at(-1)!.seq
      }
      if (lines.length === limit && (await deps.store.audit.list({ afterSeq: seq, limit: 1 })).length > 0) {
        res.setHeader('Link', `</v1/audit?after=${seq}&limit=${limit}>; rel="next"`)
      }
      res.end(lines.join(''))
      return undefined
    },
  })
  api.add({
    method: 'get', path: '/v1/audit/keys', operationId: 'auditKeys', tag: 'Audit', auth: 'session', roles: ['auditor'],
    summary: 'Every public key the server has signed with, retired ones included, to check old checkpoints',
    response: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), errors: ['unauthenticated', 'role_forbidden'],
    handler: async ({ deps }) => {
      await deps.keys.refresh()
      return deps.keys.history()
    },
  })
}
