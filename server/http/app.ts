import path from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import fs from 'node:fs'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import helmet from 'helmet'
import type { AppDeps } from '../deps.ts'
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
      const route = (res.locals.route as string | undefined) ?? '(other)'
      deps.metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds)
      deps.log.info({ requestId: id, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request')
    })
    next()
  }
}

/**
 * The built web app (web/dist). Hashed assets are immutable; pages are revalidated, so a deploy never leaves a
 * cached page asking for assets the new build removed. Without a build, `/` says how to make one.
 */
function webApp(deps: AppDeps): express.RequestHandler {
  const dist = path.join(here, '../../web/dist')
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    deps.log.warn({ dist }, 'web app not built: run `npm run build:web` (npm start does it)')
    return (req, res, next) => {
      if (req.method !== 'GET' || (req.path !== '/' && !req.path.endsWith('.html'))) return next()
      sendProblem(res, new ProblemError('web_app_not_built', 503, { detail: 'The web app is not built: run `npm run build:web`.' }))
    }
  }
  return express.static(dist, {
    index: 'index.html',
    setHeaders(res, file) {
      res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
  })
}

/**
 * Builds the whole HTTP app from its dependencies; tests call it in-process. Serve `listener`, not `app`: it is
 * admission control in front of the Express app.
 */
export function createApp(deps: AppDeps): { app: Express; api: Api; listener: (req: IncomingMessage, res: ServerResponse) => void } {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', deps.config.trustProxy)
  app.set('etag', false)
  app.use(requestContext(deps))
  app.use(helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"], fontSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'none'"],
        formAction: ["'self'"], frameAncestors: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  }))
  app.use(express.json({
    limit: BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'],
    verify: (req, _res, buf) => { (req as { rawBody?: Buffer }).rawBody = buf },
  }))

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

  app.use((req, res) => sendProblem(res, new ProblemError('not_found', 404, { detail: `No ${req.method} ${req.path.slice(0, 200)} here.` })))
  app.use(problemHandler(deps.log))
  // First of all, before Express: a shed request costs as little as possible (no id, no headers beyond its own, no
  // body read, no Express dispatch). Probes and metrics stay answerable.
  const admit = admission({ ...deps.config.admission, exemptPaths: ['/healthz', '/readyz', '/metrics'], underWaySuffixes: ['/verify'],
    metrics: { inFlight: deps.metrics.httpInFlight, shed: deps.metrics.httpShed } })
  const listener = (req: IncomingMessage, res: ServerResponse): void => admit(req, res, () => void app(req, res))
  return { app, api, listener }
}
