import type { PasskeyRecord, SessionRecord, UserRecord } from '../store/index.ts'
import { authenticatorName } from '../passkeys/index.ts'

const iso = (t: number): string => new Date(t).toISOString()

export function userView(u: UserRecord) {
  return { id: u.id, handle: u.handle, displayName: u.displayName, roles: u.roles, createdAt: iso(u.createdAt) }
}

export function passkeyView(p: PasskeyRecord) {
  return {
    id: p.id,
    name: p.name,
    authenticatorName: authenticatorName(p.aaguid),
    aaguid: p.aaguid,
    synced: p.deviceType === 'multiDevice',
    backedUp: p.backedUp,
    transports: p.transports,
    createdAt: iso(p.createdAt),
    lastUsedAt: p.lastUsedAt === null ? null : iso(p.lastUsedAt),
  }
}

export function sessionView(s: SessionRecord, idleSeconds: number, currentRef?: string) {
  return {
    ref: s.ref,
    kind: s.kind,
    createdAt: iso(s.createdAt),
    lastSeenAt: iso(s.lastSeenAt),
    expiresAt: iso(Math.min(s.absoluteExpiresAt, s.lastSeenAt + idleSeconds * 1000)),
    verifiedAt: s.verifiedAt ? iso(s.verifiedAt) : null,
    userAgent: s.userAgent,
    current: s.ref === currentRef,
  }
}
