import { z } from 'zod'
import { sessionPrincipal, type Api } from '../route.ts'
import { zEmptyRequest, zRecoveryCredentialOptions, zRecoveryCredentialVerifyRequest, zRecoveryVerifyRequest, zSignedIn } from '../../passkeys/index.ts'
import { auditRecoveryByCredential, recoveryCredentialOptions, redeemRecoveryCode, redeemRecoveryCredential } from '../../passkeys/index.ts'
import { issueAccessToken } from '../../sessions/index.ts'
import { clearSessionCookie, signIn } from '../signIn.ts'
import { clientBucket } from '../middleware/rateLimit.ts'
import { cookieRequired } from '../middleware/auth.ts'
import { domainEvent } from '../../audit/index.ts'

export function sessionRoutes(api: Api): void {
  api.add({
    method: 'post', path: '/v1/sessions/logout', operationId: 'logout', tag: 'Sessions', auth: 'session-or-recovery',
    summary: 'Sign out this session', body: zEmptyRequest, status: 204, errors: ['unauthenticated'],
    handler: async ({ deps, res, principal }) => {
      await deps.store.sessions.delete(sessionPrincipal(principal).session.idHash)
      clearSessionCookie(deps, res)
      return undefined
    },
  })
  api.add({
    method: 'post', path: '/v1/sessions/logout-all', operationId: 'logoutEverywhere', tag: 'Sessions', auth: 'session',
    summary: 'Sign out everywhere: ends every session of mine, this one included',
    body: zEmptyRequest, response: z.object({ ended: z.number().int() }), errors: ['unauthenticated'],
    handler: async ({ deps, res, principal }) => {
      const { user } = sessionPrincipal(principal)
      const ended = await deps.store.sessions.deleteAllForUser(user.id, undefined,
        [domainEvent('sessions.revoked_all', user.id, deps.now())])
      await deps.store.audit.append({ type: 'sessions.revoked_all', actor: user.id, subject: user.id, data: { ended } }, deps.now())
      clearSessionCookie(deps, res)
      return { ended }
    },
  })
  api.add({
    method: 'post', path: '/v1/sessions/token', operationId: 'issueAccessToken', tag: 'Sessions', auth: 'session', secretResponse: true,
    summary: 'A short-lived ES256 access token (JWT, typ at+jwt) for API calls on behalf of this session',
    description: 'Verify with GET /.well-known/jwks.json; pin alg ES256, typ at+jwt, iss and aud. It stops working when the session ends. Issued to the session cookie only (an access token cannot mint another: 403 `session_cookie_required`).',
    body: zEmptyRequest,
    response: z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() }),
    errors: ['unauthenticated', 'session_cookie_required'],
    handler: async ({ deps, res, principal }) => {
      // Only the browser session mints tokens: a token that could mint its successor would live as long as the
      // session (24 h) however short its own lifetime, and keep the session from going idle.
      if (principal.kind === 'session' && principal.via !== 'cookie') throw cookieRequired('Access tokens are issued to the signed-in browser session, not to another access token.')
      const { token, expiresIn } = await issueAccessToken(deps.keys, deps.config, sessionPrincipal(principal).session, deps.now())
      res.setHeader('Cache-Control', 'no-store')
      return { access_token: token, token_type: 'Bearer' as const, expires_in: expiresIn }
    },
  })
  api.add({
    method: 'post', path: '/v1/recovery/verify', operationId: 'recoveryVerify', tag: 'Sessions', auth: 'none', rateLimit: true, ceremony: 'recovery', secretResponse: true,
    summary: 'Sign in with a recovery code: opens a restricted session that can only add a new passkey',
    body: zRecoveryVerifyRequest, response: zSignedIn, errors: ['request_invalid', 'recovery_failed', 'rate_limited'],
    handler: async ({ deps, req, res, body }) => {
      const user = await redeemRecoveryCode(deps, body.handle, body.code, clientBucket(req.ip))
      await deps.store.audit.append({ type: 'recovery.used', actor: user.id, subject: user.id }, deps.now())
      return signIn(deps, req, res, user, 'recovery', '')
    },
  })
  api.add({
    method: 'post', path: '/v1/recovery/credential/options', operationId: 'recoveryCredentialOptions', tag: 'Sessions', auth: 'none', rateLimit: true,
    summary: 'Start recovery by credential: a single-use nonce and the audience for the key-binding JWT',
    description: 'For a user who lost every passkey and holds the KYC credential they collected while signed in. Present it with no selectively disclosable claim, the KB-JWT bound to this nonce and audience. Names no account.',
    body: zEmptyRequest, response: zRecoveryCredentialOptions, errors: ['rate_limited'],
    handler: ({ deps }) => recoveryCredentialOptions(deps),
  })
  api.add({
    method: 'post', path: '/v1/recovery/credential/verify', operationId: 'recoveryCredentialVerify', tag: 'Sessions', auth: 'none', rateLimit: true, ceremony: 'recovery-credential', secretResponse: true,
    summary: 'Recover by credential: opens a restricted session that can only add a new passkey',
    description: 'The presentation must verify (Sigil\'s issuer, not expired, not revoked or suspended, KB-JWT over the nonce with this audience and a fresh iat) and the credential must belong to the account named by handle; the Cedar `Recover` policy must allow it. Every refusal, unknown handle included, is the same 401 recovery_failed; the reason is audited.',
    body: zRecoveryCredentialVerifyRequest, response: zSignedIn, errors: ['request_invalid', 'recovery_failed', 'rate_limited'],
    handler: async ({ deps, req, res, body }) => {
      const { user, credentialId, events } = await redeemRecoveryCredential(deps, body.handle, body.nonce, body.presentation, clientBucket(req.ip))
      const signedIn = await signIn(deps, req, res, user, 'recovery', '', events)
      await auditRecoveryByCredential(deps, { type: 'recovery.credential_used', user, data: { credential: credentialId } })
      return signedIn
    },
  })
}
