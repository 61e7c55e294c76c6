import type { Request, Response } from 'express'
import type { AppDeps } from '../deps.ts'
import type { AuditInput, OutboxEvent, SessionKind, UserRecord } from '../store/index.ts'
import { createSessions, hashSessionId, readCookie, serializeCookie, sessionCookie } from '../sessions/index.ts'
import { sessionView, userView } from './views.ts'

/**
 * Opens a session with a fresh random id and sets the cookie. A session the browser already had is ended:
 * the id changes at every login, so an id planted before login (fixation) is worthless after it.
 *
 * `audit` (the sign-in's audit entry) is written beside the session, in the same round trip to the store. The
 * cookie is set only when both are written: if the entry fails, the new session is ended again and never
 * reaches the browser, so no session exists that the audit log does not show.
 */
export async function signIn(deps: AppDeps, req: Request, res: Response, user: UserRecord, kind: SessionKind,
  passkeyId: string, events?: OutboxEvent[], audit?: AuditInput) {
  const cookie = sessionCookie(deps.config)
  const previous = readCookie(req.headers.cookie, cookie.name)
  const [started, audited, ended] = await Promise.allSettled([
    createSessions(deps).start({
      userId: user.id, kind, userAgent: String(req.headers['user-agent'] ?? ''), verifiedAt: kind === 'full' ? deps.now() : 0, passkeyId,
    }, events),
    audit && deps.store.audit.append(audit, deps.now()),
    previous && deps.store.sessions.delete(hashSessionId(previous)),
  ])
  if (started.status === 'rejected') throw started.reason
  const { id, record } = started.value
  for (const other of [audited, ended]) {
    if (other.status === 'rejected') {
      await deps.store.sessions.delete(record.idHash).catch(() => undefined)
      throw other.reason
    }
  }
  res.append('Set-Cookie', serializeCookie(cookie, id, Math.floor((record.absoluteExpiresAt - deps.now()) / 1000)))
  res.setHeader('Cache-Control', 'no-store')
  return { user: userView(user), session: sessionView(record, deps.config.sessionIdleSeconds, record.ref) }
}

export function clearSessionCookie(deps: AppDeps, res: Response): void {
  res.append('Set-Cookie', serializeCookie(sessionCookie(deps.config), '', 0))
}
