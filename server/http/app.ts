import path from 'node:path'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import fs from 'node:fs'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import helmet from 'helmet'
import type { AppDeps } from '../deps.ts'
import { duplicateKey } from './middleware/duplicateKeys.ts'
import { WEB_APP_ROUTE } from './metrics.ts'
import { Api } from './route.ts'
import { ProblemError, problemHandler, sendProblem } from './problem.ts'
import { buildOpenApi } from './openapi.ts'
import { passkeyRoutes } from './routes/passkeys.ts'
import { meRoutes } from './routes/me.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { clientRoutes } from './routes/clients.ts'
import { opsRoutes } from './routes/ops.ts'
import { auditRoutes } from './routes/audit.ts'
import { webhookRoutes } from './routes/webhooks.ts'
import { approvalRoutes } from './routes/approvals.ts'
import { presentationRoutes, presentationWalletRoutes } from './routes/presentations.ts'
import { kycRoutes } from './routes/kyc.ts'
import { oid4vciRoutes } from './routes/oid4vci.ts'
import { sessionCookie } from '../sessions/index.ts'
import { admission } from './middleware/admission/index.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
export const VERSION = (JSON.parse(fs.readFileSync(path.join(here, '../../package.json'), 'utf8')) as { version: string }).version
export const BODY_LIMIT = '64kb'
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/

/**
 * The template of the route Express matched for a request it routed itself (probes, metrics, OpenID4VCI/VP), e.g.
 * `/credential_offer/:id`, or undefined when none matched (a 404; static files label themselves).
 */
function routeTemplate(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path
  return typeof path === 'string' ? (req.baseUrl ?? '') + path : undefined
}

function requestContext(deps: AppDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id']
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    res.locals.requestId = id
    res.setHeader('X-Request-Id', id)
    const start = process.hrtime.bigint()
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      // Route templates only: a raw path would put ids or tokens in the logs and grow the metrics without bound.
      const route = (res.locals.route as string | undefined) ?? routeTemplate(req) ?? '(other)'
      deps.metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds)
      deps.log.info({ requestId: id, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request')
    })
    next()
  }
}

const WEB_DIST = path.join(here, '../../web/dist')

/**
 * The built web app (web/dist). Hashed assets are immutable; pages are revalidated, so a deploy never leaves a
 * cached page asking for assets the new build removed. Without a build, `/` says how to make one.
 */
function webApp(deps: AppDeps): express.RequestHandler {
  const dist = WEB_DIST
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    deps.log.warn({ dist }, 'web app not built: run `npm run build:web` (npm start does it)')
    return (req, res, next) => {
      if (req.method !== 'GET' || (req.path !== '/' && !req.path.endsWith('.html'))) return next()
      res.locals.route = WEB_APP_ROUTE
      sendProblem(res, new ProblemError('web_app_not_built', 503, { detail: 'The web app is not built: run `npm run build:web`.' }))
    }
  }
  return express.static(dist, {
    index: 'index.html',
    setHeaders(res, file) {
      ;(res as Response).locals.route = WEB_APP_ROUTE
      res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
  })
}

const notFound = (req: Request): ProblemError =>
  new ProblemError('not_found', 404, { detail: `No ${req.method} ${req.path.slice(0, 200)} here.` })

/**
 * The last handler. A browser asking for a page that doesn't exist (GET or HEAD outside /v1, Accept naming
 * text/html) gets the web app's 404 page (web/404.html, read once at start-up); the API, and any other client or
 * method, gets problem+json. Without a built web app, everything gets problem+json.
 */
function notFoundHandler(): express.RequestHandler {
  const file = path.join(WEB_DIST, '404.html')
  const page = fs.existsSync(file) ? fs.readFileSync(file) : undefined
  return (req, res) => {
    const api = req.path === '/v1' || req.path.startsWith('/v1/')
    if (page === undefined || api || (req.method !== 'GET' && req.method !== 'HEAD')) return sendProblem(res, notFound(req))
    // The answer depends on Accept: a cache must not hand a browser the JSON, or a script the page.
    res.vary('Accept')
    if (!(req.get('accept') ?? '').includes('text/html')) return sendProblem(res, notFound(req))
    res.status(404).type('html').setHeader('Cache-Control', 'no-cache')
    res.send(page)
  }
}

/**
 * What `app.handle` does to a request before routing it, except the per-request prototype swap when Node built the
 * objects from `serverOptions`' classes (the swap is what costs; see createApp): the circular references, Express's
 * prototypes (swapped only for objects from a server created without those classes), and `res.locals`.
 */
function adopt(app: Express, req: IncomingMessage, res: ServerResponse, classes: http.ServerOptions): [Request, Response] {
  const r = req as Request
  const s = res as Response
  r.res = s
  s.req = r
  if (!(req instanceof classes.IncomingMessage!)) Object.setPrototypeOf(req, app.request)
  if (!(res instanceof classes.ServerResponse!)) Object.setPrototypeOf(res, app.response)
  s.locals ??= Object.create(null) as Response['locals']
  return [r, s]
}

/**
 * Serves an API route without Express's dispatch. The request goes through the same middleware functions, the same
 * route handler and the same error handler as in the Express app; Express's layer-by-layer matching is replaced by
 * {@link Api.match} (worth 11–16 µs per request), and req and res keep the Express prototypes they were built with
 * (`serverOptions` in createApp; swapping them per request, as `app.handle` does, is what cost about 200 µs). Returns
 * false, touching nothing, for anything else (other methods, other paths, paths only Express's looser matching
 * accepts): the caller then hands the request to Express's router.
 */
function directRoutes(app: Express, api: Api, before: express.RequestHandler[], onError: express.ErrorRequestHandler, classes: http.ServerOptions) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? ''
    if (url.charCodeAt(0) !== 47 /* '/' */) return false
    const q = url.indexOf('?')
    const hit = api.match(req.method ?? '', q === -1 ? url : url.slice(0, q))
    if (hit === undefined) return false
    const [r, s] = adopt(app, req, res, classes)
    r.originalUrl = url
    r.baseUrl = ''
    r.params = hit.params
    r.route = { path: hit.path }
    let i = 0
    let failed = false
    const fail = (err: unknown): void => {
      if (failed) return
      failed = true
      onError(err, r, s, () => undefined)
    }
    const next: express.NextFunction = (err?: unknown) => {
      if (err !== undefined && err !== null && err !== 'route' && err !== 'router') return fail(err)
      // A route handler never passes a request on; in Express it would reach the 404 handler.
      if (i > before.length) return fail(notFound(r))
      const mw = before[i++]
      try {
        if (mw !== undefined) void mw(r, s, next)
        else hit.handle(r, s, next)
      } catch (e) {
        fail(e)
      }
    }
    r.next = next
    next()
    return true
  }
}

/**
 * Builds the whole HTTP app from its dependencies; tests call it in-process. Serve `listener` with
 * `serverOptions`, not `app`: it is admission control in front of the direct API routes and the Express app.
 */
export function createApp(deps: AppDeps): {
  app: Express
  api: Api
  listener: (req: IncomingMessage, res: ServerResponse) => void
  /** For `http.createServer(serverOptions, listener)`: requests and responses with Express's prototypes built in. */
  serverOptions: http.ServerOptions
} {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', deps.config.trustProxy)
  app.set('etag', false)
  // The middleware every API request runs, in order; the Express app and the direct route below share them.
  const before: express.RequestHandler[] = [
    requestContext(deps),
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"], fontSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'none'"],
          formAction: ["'self'"], frameAncestors: ["'none'"],
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
    express.json({
      limit: BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'],
      verify: (req, _res, buf) => {
        (req as { rawBody?: Buffer }).rawBody = buf
        // One name twice in an object: another parser could read another value than ours (duplicateKeys.ts).
        const dup = duplicateKey(buf)
        if (dup !== undefined) throw new ProblemError('body_malformed', 400, { detail: `"${dup.slice(0, 100)}" appears twice in one object; send each member once.`, field: dup.slice(0, 200) })
      },
    }),
  ]
  for (const mw of before) app.use(mw)
  // Express answers HEAD with the GET handler, and some API GETs are single-use (an OpenID4VP request object, a
  // presentation result read once): a HEAD from a link checker or a proxy must not spend them. The API has no use
  // for HEAD, so it is refused there (the web app, probes and metadata still answer it).
  // OPTIONS is answered here too, with the methods the path has (Express would answer 200 text/plain naming HEAD).
  const allowed = (url: string): string[] => ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'].filter((m) => api.match(m, url.split('?')[0]!) !== undefined)
  app.use('/v1', (req, res, next) => {
    if (req.method !== 'HEAD' && req.method !== 'OPTIONS') return next()
    const methods = allowed(req.originalUrl)
    if (req.method === 'OPTIONS') {
      if (methods.length === 0) return next()
      res.setHeader('Allow', [...methods, 'OPTIONS'].join(', '))
      return void res.status(204).end()
    }
    sendProblem(res, new ProblemError('method_not_allowed', 405, { detail: methods.includes('GET') || methods.length === 0 ? 'The API does not answer HEAD; use GET.' : `The API does not answer HEAD; this path takes ${methods.join(', ')}.`,
      headers: { Allow: (methods.length ? methods : ['GET']).join(', ') } }))
  })

  const router = express.Router()
  const api = new Api(router, deps)
  passkeyRoutes(api)
  meRoutes(api)
  sessionRoutes(api)
  clientRoutes(api)
  auditRoutes(api)
  webhookRoutes(api)
  approvalRoutes(api)
  presentationRoutes(api)
  kycRoutes(api)
  oid4vciRoutes(router, deps)
  presentationWalletRoutes(router, deps)
  opsRoutes(router, deps, () => buildOpenApi(api.routes, { version: VERSION, serverUrl: deps.config.publicUrl, cookieName: sessionCookie(deps.config).name }))
  app.use(router)

  app.use(webApp(deps))

  app.use(notFoundHandler())
  const onError = problemHandler(deps.log)
  app.use(onError)
  // Node builds every request and response from these classes, whose prototypes are Express's. Express's own
  // dispatch (`app.handle`) instead swaps the prototype of each request and response (Object.setPrototypeOf), which
  // cost about 55 µs per request here and made every later property access on them slower: an Express answer cost
  // about 140 µs of CPU that way and about 60 µs this way (bench/dispatch.ts prints the figures). So neither the direct
  // routes nor what Express routes itself (the web app, probes, metrics, the OpenAPI document, the wallet-facing
  // OpenID4VCI and OpenID4VP routes, 404s) goes through `app.handle`; with SIGIL_DIRECT_ROUTES=false, both do.
  class SigilRequest extends http.IncomingMessage {}
  class SigilResponse<R extends IncomingMessage = IncomingMessage> extends http.ServerResponse<R> {}
  Object.setPrototypeOf(SigilRequest.prototype, app.request)
  Object.setPrototypeOf(SigilResponse.prototype, app.response)
  const serverOptions: http.ServerOptions = { IncomingMessage: SigilRequest, ServerResponse: SigilResponse }
  const appRouter = app.router as unknown as { handle: (req: Request, res: Response, done: (err?: unknown) => void) => void }
  const [direct, viaExpress] = deps.config.directRoutes
    ? [directRoutes(app, api, before, onError, serverOptions), (req: IncomingMessage, res: ServerResponse): void => {
      const [r, s] = adopt(app, req, res, serverOptions)
      appRouter.handle(r, s, (err) => {
        // Not reached in practice: the app ends with a 404 handler and the problem handler.
        if (err) onError(err, r, s, () => undefined)
        else if (!s.headersSent) sendProblem(s, notFound(r))
      })
    }]
    : [() => false, (req: IncomingMessage, res: ServerResponse): void => void app(req, res)]
  // First of all, before Express: a shed request costs as little as possible (no id, no headers beyond its own, no
  // body read, no Express dispatch). Probes and metrics stay answerable.
  const admit = admission({ ...deps.config.admission, exemptPaths: ['/healthz', '/readyz', '/metrics'], underWaySuffixes: ['/verify'],
    metrics: { inFlight: deps.metrics.httpInFlight, shed: deps.metrics.httpShed } })
  const listener = (req: IncomingMessage, res: ServerResponse): void => admit(req, res, () => { if (!direct(req, res)) viaExpress(req, res) })
  return { app, api, listener, serverOptions }
}
