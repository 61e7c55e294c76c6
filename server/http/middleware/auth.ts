import type { Request, Response } from 'express'
import type { AppDeps, Principal } from '../../deps.ts'
import { ProblemError } from '../problem.ts'
import { createSessions, readCookie, sessionCookie, serializeCookie } from '../../sessions/index.ts'
import { verifyAccessToken } from '../../sessions/index.ts'
import { API_KEY_PREFIX, hashApiKey } from '../../clients/index.ts'
import { assertSessionMeetsRolePolicy } from '../../passkeys/index.ts'

/**
 * none: anyone. session: a full session (cookie, or an access token bound to a live session).
 * session-or-recovery: also the restricted session a recovery code opens. client: an API key.
 * session-or-client: a full session or an API key (the handler decides what each may see); no role check.
 */
export type AuthMode = 'none' | 'session' | 'session-or-recovery' | 'client' | 'session-or-client'

const unauthenticated = (detail: string): ProblemError =>
  new ProblemError('unauthenticated', 401, { detail, headers: { 'WWW-Authenticate': 'Bearer realm="sigil"' } })

async function fromApiKey(deps: AppDeps, key: string): Promise<Principal> {
  const client = await deps.store.apiClients.getByKeyHash(hashApiKey(key))
  if (!client || client.revokedAt !== null) throw unauthenticated('The API key is unknown or revoked.')
  return { kind: 'client', client }
}

async function fromAccessToken(deps: AppDeps, token: string): Promise<Principal> {
  let claims
  try {
    claims = await verifyAccessToken(deps.keys, deps.config, token, deps.now())
  } catch {
    throw unauthenticated('The access token is invalid or expired.')
  }
  const sessions = await deps.store.sessions.listByUser(claims.sub)
  const ref = sessions.find((s) => s.ref === claims.sid)
  // Resolved like a cookie: expiry checked, and API use counts as activity for the idle limit.
  const found = ref ? await createSessions(deps).resolveByHashWithUser(ref.idHash) : undefined
  if (!found) throw unauthenticated('The session behind this access token has ended.')
  return { kind: 'session', session: found.session, user: found.user, via: 'token' }
}

async function fromCookie(deps: AppDeps, req: Request, res: Response): Promise<Principal> {
  const cookie = sessionCookie(deps.config)
  const id = readCookie(req.headers.cookie, cookie.name)
  if (!id) return { kind: 'none' }
  const found = await createSessions(deps).resolveWithUser(id)
  if (!found) {
    res.append('Set-Cookie', serializeCookie(cookie, '', 0))
    return { kind: 'none' }
  }
  return { kind: 'session', session: found.session, user: found.user, via: 'cookie' }
}

/** Finds who is calling: an Authorization header wins over the cookie; then checks the route's mode. */
export async function authenticate(deps: AppDeps, req: Request, res: Response, mode: AuthMode, roles?: string[]): Promise<Principal> {
  const authz = req.headers.authorization
  let principal: Principal = { kind: 'none' }
  if (authz !== undefined) {
    const m = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(authz)
    if (!m) throw unauthenticated('Use "Authorization: Bearer <token>".')
    principal = m[1]!.startsWith(API_KEY_PREFIX) ? await fromApiKey(deps, m[1]!) : await fromAccessToken(deps, m[1]!)
  } else if (mode !== 'client') {
    principal = await fromCookie(deps, req, res)
  }
  switch (mode) {
    case 'none':
      return principal
    case 'session-or-client':
      if (principal.kind === 'client') return principal
      if (principal.kind !== 'session') throw unauthenticated('Sign in, or send an API key.')
      if (principal.session.kind !== 'full') {
        throw new ProblemError('recovery_session_restricted', 403, { detail: 'A recovery session can only add a passkey.' })
      }
      return principal
    case 'client':
      if (principal.kind !== 'client') throw unauthenticated('This operation needs an API key.')
      if (roles && !roles.some((r) => principal.client.roles.includes(r))) {
        throw new ProblemError('client_role_forbidden', 403, { detail: `Needs one of the roles: ${roles.join(', ')}.` })
      }
      return principal
    case 'session':
    case 'session-or-recovery':
      if (principal.kind !== 'session') throw unauthenticated('Sign in first.')
      if (mode === 'session' && principal.session.kind !== 'full') {
        throw new ProblemError('recovery_session_restricted', 403, { detail: 'A recovery session can only add a passkey.' })
      }
      if (roles && !roles.some((r) => principal.user.roles.includes(r))) {
        throw new ProblemError('role_forbidden', 403, { detail: `Needs one of the roles: ${roles.join(', ')}.` })
      }
      if (roles) await assertSessionMeetsRolePolicy(deps, principal.session, principal.user)
      return principal
  }
}

/** 403 for calls that an access token may not make (they need the session cookie). */
export const cookieRequired = (detail: string): ProblemError => new ProblemError('session_cookie_required', 403, { detail })

/** Sensitive actions need a user verification no older than SIGIL_FRESH_AUTH_SECONDS. */
export function requireFresh(deps: AppDeps, principal: Principal): void {
  if (principal.kind !== 'session') return
  // Lasting changes to the account (a passkey added or removed, new recovery codes) are made by the browser
  // session itself: a leaked access token, used within minutes of a sign-in, must not plant a passkey or recovery
  // codes that outlive "sign out everywhere".
  if (principal.via !== 'cookie') throw cookieRequired('This change to the account needs the signed-in browser session, not an access token.')
  // A recovery session was opened by a code moments ago and can only add a passkey: the code is its proof.
  if (principal.session.kind === 'recovery') return
  const age = deps.now() - principal.session.verifiedAt
  if (age > deps.config.freshAuthSeconds * 1000) {
    throw new ProblemError('reauthentication_required', 403, {
      detail: 'Confirm it is you with a passkey first (POST /v1/me/reauth/options).',
      extra: { maxAgeSeconds: deps.config.freshAuthSeconds },
    })
  }
}
