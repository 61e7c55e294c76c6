import { timingSafeEqual } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { type Response, type Router } from 'express'
import type { AppDeps } from '../../deps.ts'
import { PUBLISHED_KEYS_MAX_AGE_SECONDS } from '../../keys/index.ts'
import { DOCS_ROUTE } from '../metrics.ts'
import { ProblemError, sendProblem } from '../problem.ts'

const docsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../docs')

/** Operational endpoints: probes, metrics, the API contract, and public keys. */
export function opsRoutes(router: Router, deps: AppDeps, openapi: () => unknown): void {
  let doc: unknown
  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }))
  router.get('/readyz', async (_req, res) => {
    try {
      await deps.store.ping()
    } catch {
      return sendProblem(res, new ProblemError('store_unavailable', 503, { detail: 'The store cannot be reached.', headers: { 'Retry-After': '5' } }))
    }
    // The key file has failed to load for so long (330 s, or the retention if shorter) that a key rotated in meanwhile
    // may sign on the other instances, and this one would refuse their tokens (the error, with the path, is logged).
    if (deps.keys.failure()?.stale) {
      return sendProblem(res, new ProblemError('keys_unavailable', 503, { detail: 'The signing key file has failed to load for too long; see the log.', headers: { 'Retry-After': '30' } }))
    }
    res.json({ status: 'ready', store: deps.store.kind })
  })
  // Counts of failed sign-ins and recoveries, token outcomes and the outbox backlog are for the operator's scraper:
  // with SIGIL_METRICS_TOKEN set, only a request bearing it gets them (compared in constant time).
  const metricsToken = deps.config.metricsToken === undefined ? undefined : Buffer.from(`Bearer ${deps.config.metricsToken}`)
  router.get('/metrics', async (req, res) => {
    if (metricsToken) {
      const given = Buffer.from(req.headers.authorization ?? '')
      if (given.length !== metricsToken.length || !timingSafeEqual(given, metricsToken)) {
        return sendProblem(res, new ProblemError('unauthenticated', 401, { detail: 'Metrics need the scraper\'s token (SIGIL_METRICS_TOKEN).', field: 'authorization', headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } }))
      }
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics())
  })
  router.get('/openapi.json', (_req, res) => {
    doc ??= openapi()
    res.json(doc)
  })
  router.use('/docs', express.static(docsDir, { index: 'index.html', setHeaders: (res) => { (res as Response).locals.route = DOCS_ROUTE } }))
  router.get('/.well-known/jwks.json', async (_req, res) => {
    await deps.keys.refresh()
    res.setHeader('Cache-Control', `public, max-age=${PUBLISHED_KEYS_MAX_AGE_SECONDS}`)
    res.type('application/jwk-set+json').send(JSON.stringify(deps.keys.jwks()))
  })
  // Related Origin Requests (WebAuthn L3 §5.11): other origins that may use this RP ID.
  router.get('/.well-known/webauthn', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600')
    res.json({ origins: [...new Set([...deps.config.origins, ...deps.config.relatedOrigins])] })
  })
}
