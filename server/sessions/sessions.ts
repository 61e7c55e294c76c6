import { createHash } from 'node:crypto'
import { randomToken } from '../random.ts'
import type { Config } from '../config.ts'
import type { OutboxEvent, SessionKind, SessionRecord, Store, UserRecord } from '../store/index.ts'

/** lastSeenAt is written at most this often, so reads do not turn into writes on every request. */
const TOUCH_EVERY_MS = 60_000

export const hashSessionId = (id: string): string => createHash('sha256').update(id).digest('base64url')

export interface SessionCookie {
  name: string
  secure: boolean
}

/**
 * `__Host-` needs Secure; browsers accept Secure cookies on https only (http://localhost aside, which we
 * serve without the prefix so plain development works everywhere).
 */
export function sessionCookie(config: Config): SessionCookie {
  const secure = config.origins.every((o) => o.startsWith('https://'))
  return { name: secure ? '__Host-sigil_session' : 'sigil_session', secure }
}

export function serializeCookie(c: SessionCookie, value: string, maxAgeSeconds: number): string {
  return [`${c.name}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax', ...(c.secure ? ['Secure'] : [])].join('; ')
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

export interface StartSession {
  userId: string
  kind: SessionKind
  userAgent: string
  /** Time of the user verification that opened the session (login), 0 for a recovery-code session. */
  verifiedAt: number
  /** The passkey of that verification, '' for a recovery session. */
  passkeyId: string
}

/** A live session and its user. */
export interface SignedIn { session: SessionRecord; user: UserRecord }

export interface Sessions {
  /** A new random id every time: a login never keeps an earlier id (no fixation). */
  /** `events` are written with the session (the outbox), e.g. the login that opened it. */
  start(s: StartSession, events?: OutboxEvent[]): Promise<{ id: string; record: SessionRecord }>
  /** The live session for a raw id, or undefined when unknown, idle too long or past its absolute limit. */
  resolve(id: string): Promise<SessionRecord | undefined>
  /** `resolve` with the session's user, read together; undefined also when the user is gone. */
  resolveWithUser(id: string): Promise<SignedIn | undefined>
  /** The same, by the stored hash (for access tokens, which name the session by its ref). */
  resolveByHashWithUser(idHash: string): Promise<SignedIn | undefined>
  end(idHash: string): Promise<boolean>
  endAll(userId: string, exceptIdHash?: string): Promise<number>
  /** A re-verification: sensitive actions are allowed again; with `passkeyId`, the session is that passkey's. */
  markVerified(idHash: string, passkeyId: string | undefined): Promise<void>
  isLive(s: SessionRecord): boolean
}

export function createSessions(deps: { store: Store; config: Config; now: () => number }): Sessions {
  const { store, config, now } = deps
  const idleMs = config.sessionIdleSeconds * 1000
  const isLive = (s: SessionRecord): boolean => {
    const t = now()
    return t < s.absoluteExpiresAt && t - s.lastSeenAt < idleMs
  }
  /** The stored hash of a well-formed session id (32 random bytes, base64url), else undefined. */
  const hashOfId = (id: string): string | undefined => /^[A-Za-z0-9_-]{43}$/.test(id) ? hashSessionId(id) : undefined
  /** Whether the session is live: an expired one is deleted; a live one seen long enough ago is touched. */
  const live = async (s: SessionRecord): Promise<boolean> => {
    if (!isLive(s)) {
      await store.sessions.delete(s.idHash)
      return false
    }
    const t = now()
    if (t - s.lastSeenAt >= TOUCH_EVERY_MS) {
      await store.sessions.update(s.idHash, { lastSeenAt: t })
      s.lastSeenAt = t
    }
    return true
  }
  return {
    async start({ userId, kind, userAgent, verifiedAt, passkeyId }, events) {
      const id = randomToken(32)
      const t = now()
      const record: SessionRecord = {
        idHash: hashSessionId(id),
        ref: randomToken(12),
        userId,
        kind,
        createdAt: t,
        lastSeenAt: t,
        verifiedAt,
        passkeyId,
        // A recovery session only lets the user add a passkey: it lasts as long as a ceremony, not a day.
        absoluteExpiresAt: t + (kind === 'recovery' ? 15 * 60_000 : config.sessionAbsoluteSeconds * 1000),
        userAgent: userAgent.slice(0, 200),
      }
      await store.sessions.create(record, events)
      return { id, record }
    },
    async resolve(id) {
      const idHash = hashOfId(id)
      const s = idHash === undefined ? undefined : await store.sessions.get(idHash)
      return s && (await live(s) ? s : undefined)
    },
    async resolveWithUser(id) {
      const idHash = hashOfId(id)
      return idHash === undefined ? undefined : this.resolveByHashWithUser(idHash)
    },
    async resolveByHashWithUser(idHash) {
      const found = await store.sessions.getWithUser(idHash)
      if (!found || !(await live(found.session)) || !found.user) return undefined
      return { session: found.session, user: found.user }
    },
    end: (idHash) => store.sessions.delete(idHash),
    endAll: (userId, exceptIdHash) => store.sessions.deleteAllForUser(userId, exceptIdHash),
    async markVerified(idHash, passkeyId) {
      await store.sessions.update(idHash, { verifiedAt: now(), lastSeenAt: now(), ...(passkeyId === undefined ? {} : { passkeyId }) })
    },
    isLive,
  }
}
