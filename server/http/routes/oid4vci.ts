import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { kycTypeMetadata, STATUS_LIST_TYP } from '../../../credentials/index.ts'
import type { AppDeps } from '../../deps.ts'
import { PUBLISHED_KEYS_MAX_AGE_SECONDS } from '../../keys/index.ts'
import {
  authorizationServerMetadata, collectingAccount, credentialIssuerMetadata, didDocument, exchangePreAuthorizedCode, issueCredential, issueNonce,
  jwtVcIssuerMetadata, OAuthError, sendOAuthError, statusListToken, zStatusListParams,
} from '../../kyc/index.ts'
import { parseWith } from '../problem.ts'
import { credentialScope, withIdempotency } from '../middleware/idempotency.ts'

type Handler = (req: Request, res: Response) => Promise<void>

/** OAuth-style endpoints answer their own error format; anything else goes on to the problem handler. */
const oauth = (route: string, fn: Handler) => (req: Request, res: Response, next: NextFunction): void => {
  res.locals.route = route
  fn(req, res).catch((err: unknown) => err instanceof OAuthError ? sendOAuthError(res, err) : next(err))
}

const plain = (route: string, fn: Handler) => (req: Request, res: Response, next: NextFunction): void => {
  res.locals.route = route
  fn(req, res).catch(next)
}

const PUBLIC_METADATA = `public, max-age=${PUBLISHED_KEYS_MAX_AGE_SECONDS}`

/**
 * The issuer's public face (issue 7): DID document, issuer metadata, the OpenID4VCI 1.0 pre-authorized code flow
 * (/token, /nonce, /credential) and the status lists. Wallets are not browsers of our origin, so these take no
 * session and no Origin check; the credential endpoint takes its own access token, not a Sigil one.
 */
export function oid4vciRoutes(router: Router, deps: AppDeps): void {
  const json = (path: string, body: () => unknown, type = 'application/json') => router.get(path, plain(path, async (_req, res) => {
    await deps.keys.refresh()
    res.setHeader('Cache-Control', PUBLIC_METADATA)
    res.type(type).send(JSON.stringify(body()))
  }))
  json('/.well-known/did.json', () => didDocument(deps), 'application/did+json')
  json('/.well-known/jwt-vc-issuer', () => jwtVcIssuerMetadata(deps))
  json('/.well-known/openid-credential-issuer', () => credentialIssuerMetadata(deps))
  json('/.well-known/oauth-authorization-server', () => authorizationServerMetadata(deps))
  json('/credentials/kyc/v1', () => kycTypeMetadata(deps.config.publicUrl))

  // Idempotency-Key is accepted like everywhere else (wallets need not send it): each answer holds a secret or the
  // credential itself, so none is kept; a retry of a request that went through gets 409
  // `idempotency_replay_unavailable` instead of running twice, and a retry while it runs gets 409 too.
  const once = async (req: Request, res: Response, scope: string, operationId: string, execute: () => Promise<unknown>) => {
    const out = await withIdempotency(deps, req, res, scope, { operationId, secretResponse: true }, async () => ({ status: 200, body: await execute() }))
    if (out === undefined) return
    res.setHeader('Cache-Control', 'no-store')
    res.json(out.body)
  }
  router.post('/token', express.urlencoded({ extended: false, limit: '8kb' }), oauth('/token', async (req, res) => {
    if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError('invalid_request', 400, 'Send the token request as application/x-www-form-urlencoded.')
    const code = (req.body as Record<string, unknown> | undefined)?.['pre-authorized_code']
    await once(req, res, credentialScope('code', typeof code === 'string' ? code : ''), 'oid4vciToken', () => exchangePreAuthorizedCode(deps, req.body))
  }))
  router.post('/nonce', oauth('/nonce', async (req, res) => {
    await once(req, res, 'anon', 'oid4vciNonce', () => issueNonce(deps))
  }))
  router.post('/credential', oauth('/credential', async (req, res) => {
    if (!req.is('application/json')) throw new OAuthError('invalid_credential_request', 400, 'Send the credential request as application/json.')
    await once(req, res, credentialScope('token', req.headers.authorization ?? ''), 'oid4vciCredential',
      async () => issueCredential(deps, req.headers.authorization, req.body, await collectingAccount(deps, req.headers)))
  }))
  router.get('/status-lists/:id', plain('/status-lists/:id', async (req, res) => {
    const { id } = parseWith(zStatusListParams, req.params, 'params')
    const { token, etag, maxAgeSeconds } = await statusListToken(deps, id)
    // What is left of the token's ttl: a cache never holds it past the age verifiers accept.
    res.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}`)
    res.setHeader('ETag', etag)
    if (req.headers['if-none-match'] === etag) return void res.status(304).end()
    res.type(`application/${STATUS_LIST_TYP}`).send(token)
  }))
}
