import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import type { AppDeps, Principal } from '../../deps.ts'
import {
  createPresentationRequest, readPresentationResult, receivePresentation, takeRequestObject, verifyForApp, zCreatePresentationRequest,
  zCreatePresentationResponse, zDirectPostResponse, zPresentationRequestParams, zVerifyPresentationRequest, zVerifyPresentationResponse,
} from '../../presentations/index.ts'
import { parseWith, ProblemError } from '../problem.ts'
import { credentialScope, withIdempotency } from '../middleware/idempotency.ts'
import type { Api } from '../route.ts'

const app = (p: Principal) => {
  if (p.kind !== 'client') throw new ProblemError('unauthenticated', 401)
  return p.client
}

export function presentationRoutes(api: Api): void {
  api.add({
    method: 'post', path: '/v1/presentations/verify', operationId: 'verifyPresentation', tag: 'Verification', auth: 'client', roles: ['relying-app'],
    // The answer holds the holder's disclosed claims: an Idempotency-Key must not keep them for 24 h.
    secretResponse: true,
    summary: 'Check an SD-JWT VC presentation statelessly: only claims the app\'s disclosure policy allows, bound to its nonce and audience',
    description: 'Refused with 403 disclosure_forbidden (and audited) when the app asks for a claim its policy does not allow. The answer holds only the claims asked for; nothing is stored.',
    body: zVerifyPresentationRequest, response: zVerifyPresentationResponse,
    errors: ['unauthenticated', 'client_role_forbidden', 'request_invalid', 'disclosure_forbidden', 'presentation_invalid'],
    handler: async ({ deps, principal, body }) => verifyForApp(deps, app(principal), body),
  })
  api.add({
    method: 'post', path: '/v1/presentations/requests', operationId: 'createPresentationRequest', tag: 'Verification', auth: 'client', roles: ['relying-app'], status: 201,
    summary: 'Ask a holder for claims (OpenID4VP 1.0, DCQL, signed request object, direct_post or direct_post.jwt): request URI, deep links and QR code',
    description: 'The disclosure policy is checked first (403 disclosure_forbidden, audited). The answer holds the signed request object by value (`request`, `deepLink`) and by reference '
      + '(`requestUri`, `deepLinkByReference`, and the QR code of the latter). With `responseMode: "direct_post.jwt"` the wallet encrypts its answer (JWE, ECDH-ES, A128GCM/A256GCM) to a key made for this request. '
      + 'The wallet posts to the response_uri; read the result once with GET /v1/presentations/requests/{id} (a `presentation.verified` or `presentation.failed` webhook event says when).',
    body: zCreatePresentationRequest,
    response: zCreatePresentationResponse,
    errors: ['unauthenticated', 'client_role_forbidden', 'request_invalid', 'disclosure_forbidden'],
    handler: async ({ deps, principal, body }) => createPresentationRequest(deps, app(principal), body.claims, body.expiresInSeconds, body.responseMode),
  })
  api.add({
    method: 'get', path: '/v1/presentations/request-objects/:id', operationId: 'getPresentationRequestObject', tag: 'Verification', auth: 'none', responseType: 'application/oauth-authz-req+jwt',
    summary: 'The wallet fetches the signed request object (request_uri, RFC 9101 §5.2): once, as application/oauth-authz-req+jwt',
    description: 'No authentication: the wallet is not a client of Sigil. Answered once per request; a second fetch, an unknown or expired id is 404 presentation_request_unknown.',
    params: zPresentationRequestParams,
    errors: ['presentation_request_unknown'],
    handler: async ({ deps, params, res }) => {
      const jwt = await takeRequestObject(deps, params.id)
      res.status(200).setHeader('Cache-Control', 'no-store')
      res.type('application/oauth-authz-req+jwt').send(jwt)
    },
  })
  api.add({
    method: 'get', path: '/v1/presentations/requests/:id', operationId: 'getPresentationResult', tag: 'Verification', auth: 'client', roles: ['relying-app'],
    summary: 'The verified result, once: reading deletes it (pending until the wallet answers)',
    description: '`pending` also answers an unknown id, another app\'s, an expired request and a result already read (an id reveals nothing): poll until the `expiresAt` the request was created with, then stop. A result waits 10 minutes to be read, then is deleted. The `presentation.verified` / `presentation.failed` webhook event says when to read.',
    params: zPresentationRequestParams,
    response: z.object({ id: z.string(), status: z.enum(['pending', 'verified', 'failed']), claims: z.record(z.string(), z.unknown()).optional(), reason: z.string().optional() }),
    errors: ['unauthenticated', 'client_role_forbidden', 'request_invalid'],
    handler: async ({ deps, principal, params, res }) => {
      res.setHeader('Cache-Control', 'no-store')
      return readPresentationResult(deps, app(principal), params.id)
    },
  })
}

/**
 * The wallet's side (OpenID4VP 1.0 §8.2 direct_post, §8.3.1 direct_post.jwt): form-encoded, no session and no Origin
 * (the wallet is not a browser page of ours). Registered on the router beside the OpenID4VCI endpoints.
 */
export function presentationWalletRoutes(router: Router, deps: AppDeps): void {
  const path = '/v1/presentations/responses/:id'
  router.post(path, express.urlencoded({ extended: false, limit: '128kb' }), (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = path
    const run = async () => {
      const { id } = parseWith(zPresentationRequestParams, req.params, 'params')
      const body = parseWith(zDirectPostResponse, req.body ?? {}, 'body')
      // A wallet retrying its answer with the same Idempotency-Key gets the first outcome, not "already answered".
      const out = await withIdempotency(deps, req, res, credentialScope('response', id), { operationId: 'presentationResponse' }, async () => {
        try {
          await receivePresentation(deps, id, body)
        } finally {
          deps.outbox?.kick()
        }
        return { status: 200, body: {} }
      })
      if (out === undefined) return
      res.status(200).setHeader('Cache-Control', 'no-store')
      res.json(out.body)
    }
    run().catch(next)
  })
}
