import { z } from 'zod'
import type { Api } from '../route.ts'

const zAuditQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
})

const PAGE = 1000

export function auditRoutes(api: Api): void {
  api.add({
    method: 'get', path: '/v1/audit', operationId: 'exportAudit', tag: 'Audit', auth: 'session', roles: ['auditor'],
    summary: 'Export the hash-chained audit log as NDJSON (role auditor)',
    description: 'One entry per line: seq, at, type, actor, subject, data, prevHash, hash. Entries of type audit.checkpoint carry a JWS over the seq and hash of an earlier entry. Check an export offline with `npm run sigil -- audit verify FILE --jwks keys.json` (keys from GET /v1/audit/keys). Query: after (seq), limit.',
    // A bad cursor is refused, not read as "from the start": a paging tool would silently get everything again.
    query: zAuditQuery, responseType: 'application/x-ndjson',
    errors: ['unauthenticated', 'role_forbidden', 'request_invalid'],
    handler: async ({ deps, res, query: { after, limit } }) => {
      res.status(200).type('application/x-ndjson').setHeader('Cache-Control', 'no-store')
      let seq = after
      let left = limit
      while (left > 0) {
        const page = await deps.store.audit.list({ afterSeq: seq, limit: Math.min(PAGE, left) })
        if (page.length) res.write(page.map((e) => JSON.stringify(e)).join('\n') + '\n')
        left -= page.length
        if (page.length < PAGE) break
        seq = page.at(-1)!.seq
      }
      res.end()
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
