import type { Request, Response } from 'express'
import type { AppDeps } from '../deps.ts'
import type { OutboxEvent, SessionKind, UserRecord } from '../store/index.ts'
import { createSessions, hashSessionId, readCookie, serializeCookie, sessionCookie } from '../sessions/index.ts'
import { sessionView, userView } from './views.ts'

/**
 * Opens a session with a fresh random id and sets the cookie. A session the browser already had is ended:
 * the id changes at every login, so an id planted before login (fixation) is worthless after it.
 */
export async function signIn(deps: AppDeps, req: Request, res: Response, user: UserRecord, kind: SessionKind,
  events?: OutboxEvent[]) {
  const cookie = sessionCookie(deps.config)
  const previous = readCookie(req.headers.cookie, cookie.name)
  if (previous) await deps.store.sessions.delete(hashSessionId(previous))
  const { id, record } = await createSessions(deps).start({
    userId: user.id, kind, userAgent: String(req.headers['user-agent'] ?? ''), verifiedAt: kind === 'full' ? deps.now() : 0,
  }, events)
  res.append('Set-Cookie', serializeCookie(cookie, id, Math.floor((record.absoluteExpiresAt - deps.now()) / 1000)))
  res.setHeader('Cache-Control', 'no-store')
  return { user: userView(user), session: sessionView(record, deps.config.sessionIdleSeconds, record.ref) }
}

export function clearSessionCookie(deps: AppDeps, res: Response): void {
  res.append('Set-Cookie', serializeCookie(sessionCookie(deps.config), '', 0))
}
