import type { ErrorRequestHandler } from 'express'
import { z } from 'zod'
import type { Logger } from 'pino'
import { ProblemError } from '../errors.ts'
import { StoreUnavailableError } from '../store/index.ts'

export { ProblemError } from '../errors.ts'

export interface FieldIssue {
  field: string
  message: string
}

function issuePath(path: PropertyKey[]): string {
  return path.map(String).join('.') || '(body)'
}

/** Parses a wire value once, at the route; a failure names every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'params' | 'query'): z.output<S> {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  // An unknown member is named itself, not its parent object.
  const issues: FieldIssue[] = r.error.issues.slice(0, 20).map((i) => ({
    field: issuePath(i.code === 'unrecognized_keys' && i.keys.length ? [...i.path, i.keys[0]!] : i.path), message: i.message }))
  const first = issues[0]!
  throw new ProblemError('request_invalid', 400, {
    detail: `Invalid ${where}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    field: first.field,
    extra: { errors: issues },
  })
}

export function problemBody(p: ProblemError, requestId: string | undefined): Record<string, unknown> {
  // A problem's own members come after the extras: an extra of the same name cannot replace them.
  return {
    ...p.extra,
    type: `urn:sigil:problem:${p.code}`,
    title: p.code.replace(/_/g, ' '),
    status: p.status,
    code: p.code,
    ...(p.detail !== undefined ? { detail: p.detail } : {}),
    ...(p.field !== undefined ? { field: p.field } : {}),
    ...(requestId ? { requestId } : {}),
  }
}

/** Maps errors thrown by express' own parsers (body too large, bad JSON) to problems. */
function fromExpress(err: unknown): ProblemError | undefined {
  if (err instanceof StoreUnavailableError) {
    return new ProblemError('store_unavailable', 503, { detail: 'The store cannot be reached; try again shortly.', headers: { 'Retry-After': '2' } })
  }
  const e = err as { type?: string; status?: number; expose?: boolean }
  if (!e || typeof e !== 'object' || typeof e.status !== 'number') return undefined
  if (e.type === 'entity.too.large') return new ProblemError('body_too_large', 413, { detail: 'The request body exceeds the size limit.', field: '(body)' })
  if (e.type === 'entity.parse.failed') return new ProblemError('body_malformed', 400, { detail: 'The request body is not valid JSON.', field: '(body)' })
  if (e.type === 'encoding.unsupported') {
    return new ProblemError('body_encoding_unsupported', 415, { detail: 'Content-Encoding must be identity, gzip, deflate or br.', field: 'content-encoding' })
  }
  if (e.type === 'charset.unsupported') return new ProblemError('body_encoding_unsupported', 415, { detail: 'JSON bodies must be UTF-8.', field: 'content-type' })
  const message = err instanceof Error ? err.message : ''
  // Express's router cannot percent-decode a path parameter; zlib cannot inflate a body its Content-Encoding names.
  if (e.status === 400 && message.startsWith('Failed to decode param')) {
    return new ProblemError('request_invalid', 400, { detail: 'A path segment is not valid percent-encoding.', field: '(path)' })
  }
  if (e.status === 400 && e.type === undefined && /header check|decompression|invalid (block|stored|distance|code)|unexpected end/i.test(message)) {
    return new ProblemError('request_invalid', 400, { detail: 'The body does not decode with the Content-Encoding it names.', field: 'content-encoding' })
  }
  if (e.status >= 400 && e.status < 500) return new ProblemError('request_invalid', e.status, { detail: 'The request could not be read.', field: '(request)' })
  return undefined
}

export function sendProblem(res: import('express').Response, p: ProblemError): void {
  if (p.headers) for (const [k, v] of Object.entries(p.headers)) res.setHeader(k, v)
  res.status(p.status).type('application/problem+json').send(JSON.stringify(problemBody(p, res.locals.requestId as string | undefined)))
}

/** The one error handler: ProblemError as is, express parser errors mapped, anything else a bare 500. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const p = err instanceof ProblemError ? err : fromExpress(err)
    if (!p) {
      log.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message, stack: (err as Error)?.stack }, requestId: res.locals.requestId, route: req.route?.path }, 'unhandled error')
    }
    if (res.headersSent) return void res.end()
    sendProblem(res, p ?? new ProblemError('internal', 500, { detail: 'An unexpected error occurred.' }))
  }
}
