import type { NextFunction, Request, Response, Router } from 'express'
import type { z } from 'zod'
import type { AppDeps, Principal } from '../deps.ts'
import { ProblemError, parseWith, sendProblem } from './problem.ts'
import { StoreUnavailableError } from '../store/index.ts'
import { authenticate, requireFresh, type AuthMode } from './middleware/auth.ts'
import { checkOrigin } from './middleware/origin.ts'
import { ipLimitKey, rateLimitIp } from './middleware/rateLimit.ts'
import type { CountedClientLimit } from '../rateLimits.ts'
import { idempotencyScope, withIdempotency } from './middleware/idempotency.ts'

export type Method = 'get' | 'post' | 'patch' | 'delete' | 'put'

export interface RouteCtx<B, P, Q = unknown> {
  req: Request
  res: Response
  body: B
  params: P
  /** The query string parsed with the route's `query` schema (undefined without one). */
  query: Q
  principal: Principal
  deps: AppDeps
  /** With `rateLimit: 'counted'` (only then): the per-client limit, for the handler to count with its challenge. */
  limit?: CountedClientLimit
}

/**
 * One operation of the public API. The same definition registers the express route, validates the request
 * and produces the OpenAPI entry, so the document cannot drift from the code.
 */
export interface RouteDef<B extends z.ZodType = z.ZodType, P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: Method
  /** Express path (`/v1/me/passkeys/:id`). */
  path: string
  operationId: string
  summary: string
  description?: string
  tag: string
  auth: AuthMode
  /** API client roles allowed, for `auth: 'client'`; user roles allowed, for session modes. */
  roles?: string[]
  /** Needs a user verification within SIGIL_FRESH_AUTH_SECONDS (re-verify at /v1/me/reauth). */
  fresh?: boolean
  /**
   * Ceremony endpoint: limited per client IP through the store. The verify steps are not: each needs a
   * single-use challenge that its (limited) options step issued, and a wrong one costs one atomic delete.
   * `'counted'`: the same limit, counted by the handler in the store call that keeps its challenge (ctx.limit;
   * one round trip instead of two); a handler that did not count it fails.
   */
  rateLimit?: boolean | 'counted'
  /** The success body holds a secret shown once: an idempotent retry cannot replay it. */
  secretResponse?: boolean
  body?: B
  params?: P
  /** The query string's schema: parsed before the handler (400 `request_invalid` naming the parameter) and documented. */
  query?: Q
  /** Counted in sigil_ceremonies_total{ceremony, outcome}: `ok` or the problem code. */
  ceremony?: string
  /** Success status (200 by default). */
  status?: number
  response?: z.ZodType
  /** Media type of a success body that is not JSON (the handler sends it itself), for the documentation. */
  responseType?: string
  /** Problem codes this operation returns, for the documentation. */
  errors?: string[]
  handler: (ctx: RouteCtx<z.output<B>, z.output<P>, z.output<Q>>) => Promise<unknown>
}

/** The signed-in principal of a session route (authenticate() has already guaranteed it; this narrows the type). */
export function sessionPrincipal(p: Principal): Extract<Principal, { kind: 'session' }> {
  if (p.kind !== 'session') throw new ProblemError('unauthenticated', 401)
  return p
}

export const isMutating = (m: Method): boolean => m !== 'get'

function isJson(req: Request): boolean {
  return typeof req.is(['application/json', 'application/*+json']) === 'string'
}

async function run(def: RouteDef, deps: AppDeps, req: Request, res: Response): Promise<void> {
  if (def.rateLimit === true) await rateLimitIp(deps, req, def.operationId)
  const limit: CountedClientLimit | undefined = def.rateLimit === 'counted'
    ? { key: ipLimitKey(req, def.operationId), max: deps.config.rateLimitPerMinute, counted: false } : undefined
  const principal = await authenticate(deps, req, res, def.auth, def.roles)
  res.locals.principal = principal
  if (isMutating(def.method)) checkOrigin(deps, req, principal, def.auth)
  if (def.fresh) requireFresh(deps, principal)
  const params = def.params ? parseWith(def.params, req.params, 'params') : {}
  const query: unknown = def.query ? parseWith(def.query, req.query, 'query') : undefined
  let body: unknown = undefined
  if (def.body) {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined
    if (hasBody && !isJson(req)) {
      throw new ProblemError('content_type_unsupported', 415, { detail: 'Send the body as application/json.', field: 'content-type' })
    }
    body = parseWith(def.body, req.body ?? {}, 'body')
  }
  const execute = async (): Promise<{ status: number; body: unknown }> => {
    const out = await def.handler({ req, res, body, params, query, principal, deps, limit })
    if (limit && !limit.counted) throw new Error(`${def.operationId} did not count its rate limit`)
    return { status: def.status ?? 200, body: out }
  }
  const result = isMutating(def.method)
    ? await withIdempotency(deps, req, res, () => idempotencyScope(principal, req.ip), def, execute)
    : await execute()
  if (isMutating(def.method)) deps.outbox?.kick()
  if (result === undefined || res.headersSent) return // replayed by the idempotency layer, or streamed by the handler
  if (result.status === 204 || result.body === undefined) return void res.status(result.status === 200 ? 204 : result.status).end()
  res.status(result.status).json(result.body)
}

type RouteHandler = (req: Request, res: Response, next: NextFunction) => void

/** A route's path split into segments: a string is literal, `null` a parameter (named in `names`, in order). */
interface CompiledRoute {
  segments: (string | null)[]
  names: string[]
  path: string
  handle: RouteHandler
}

/** What {@link Api.match} found: the route's handler and its parameters. */
export interface RouteMatch {
  handle: RouteHandler
  params: Record<string, string>
  /** The route template (`/v1/approvals/:id/options`), as Express sets `req.route.path`. */
  path: string
}

/** Registers routes on a router and remembers them for the OpenAPI document. */
export class Api {
  readonly routes: RouteDef[] = []
  /** Upper-case method → the routes registered for it, in registration order (Express's matching order). */
  private readonly table = new Map<string, CompiledRoute[]>()
  constructor(private readonly router: Router, private readonly deps: AppDeps) {}

  /**
   * The route a request path selects, without Express's router: literal segments compared exactly, a `:param`
   * matching one non-empty segment, the first registered route winning, as in Express. Only the plain case is
   * answered: a path with `%` (Express would decode it), a trailing or doubled slash, or a case that only
   * Express's case-insensitive matching would accept gives undefined, and the caller hands the request to
   * Express, which routes it as before. So whatever this answers, Express would have answered the same.
   */
  match(method: string, path: string): RouteMatch | undefined {
    const routes = this.table.get(method)
    if (routes === undefined || path.includes('%')) return undefined
    const parts = path.split('/')
    if (parts[0] !== '') return undefined
    outer: for (const r of routes) {
      if (r.segments.length !== parts.length - 1) continue
      let params: Record<string, string> | undefined
      let k = 0
      for (let i = 0; i < r.segments.length; i++) {
        const want = r.segments[i]
        const got = parts[i + 1]!
        if (want === null) {
          if (got.length === 0) continue outer
          ;(params ??= {})[r.names[k++]!] = got
        } else if (want !== got) continue outer
      }
      return { handle: r.handle, params: params ?? {}, path: r.path }
    }
    return undefined
  }

  add<B extends z.ZodType, P extends z.ZodType, Q extends z.ZodType>(def: RouteDef<B, P, Q>): void {
    const d = def as unknown as RouteDef
    this.routes.push(d)
    const handle: RouteHandler = (req, res, next) => {
      res.locals.route = def.path
      run(d, this.deps, req, res).then(() => {
        if (d.ceremony) this.deps.metrics.ceremonies.inc({ ceremony: d.ceremony, outcome: 'ok' })
      }, (err: unknown) => {
        if (d.ceremony) this.deps.metrics.ceremonies.inc({ ceremony: d.ceremony, outcome: err instanceof ProblemError ? err.code : err instanceof StoreUnavailableError ? 'store_unavailable' : 'internal' })
        if (err instanceof ProblemError && !res.headersSent) return sendProblem(res, err)
        next(err)
      })
    }
    this.router[def.method](def.path, handle)
    const parts = def.path.split('/').slice(1)
    const segments = parts.map((s) => (s.startsWith(':') ? null : s))
    const names = parts.filter((s) => s.startsWith(':')).map((s) => s.slice(1))
    if (segments.some((s) => s !== null && /[:*?{}()]/.test(s))) throw new Error(`route ${def.path}: only literal segments and :params are supported`)
    const key = def.method.toUpperCase()
    if (!this.table.has(key)) this.table.set(key, [])
    this.table.get(key)!.push({ segments, names, path: def.path, handle })
  }
}
