import { randomBytes, randomUUID } from 'node:crypto'
import type { ApiClientRecord, CeremonyRecord, PasskeyRecord, SessionRecord, Store, UserRecord } from '../ports.ts'

// Records get random ids, so tests never collide even if an adapter's `make()` shares a database, and
// times near the real clock, because an adapter may derive TTLs from `expiresAt`.

export const HOUR = 3_600_000

export function uid(prefix: string): string {
  return `${prefix}-${randomUUID()}`
}

export function makeUser(over: Partial<UserRecord> = {}): UserRecord {
  const id = uid('user')
  return { id, handle: `h-${id}`, displayName: 'Ada Lovelace', webauthnUserId: randomBytes(32).toString('base64url'),
    roles: [], createdAt: Date.now(), ...over }
}

export function makePasskey(userId: string, over: Partial<PasskeyRecord> = {}): PasskeyRecord {
  return { id: randomBytes(16).toString('base64url'), userId, publicKey: new Uint8Array(randomBytes(77)),
    counter: 0, transports: ['internal', 'hybrid'], aaguid: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
    deviceType: 'multiDevice', backedUp: true, name: 'iCloud Keychain', attestationFmt: 'none',
    createdAt: Date.now(), lastUsedAt: null, ...over }
}

export function makeSession(userId: string, over: Partial<SessionRecord> = {}): SessionRecord {
  const t = Date.now()
  return { idHash: randomBytes(32).toString('base64url'), ref: uid('ref'), userId, kind: 'full', createdAt: t,
    lastSeenAt: t, verifiedAt: t, passkeyId: uid('passkey'), absoluteExpiresAt: t + 12 * HOUR, userAgent: 'Mozilla/5.0 (test)', ...over }
}

export function makeCeremony(over: Partial<CeremonyRecord> = {}): CeremonyRecord {
  return { challenge: randomBytes(32).toString('base64url'), kind: 'login', expiresAt: Date.now() + HOUR, ...over }
}

export function makeApiClient(over: Partial<ApiClientRecord> = {}): ApiClientRecord {
  return { id: uid('client'), name: 'Treasury bot', roles: ['approver'], keyHash: randomBytes(32).toString('base64url'),
    createdAt: Date.now(), revokedAt: null, ...over }
}

/** Creates a user with `count` passkeys (the first through createWithPasskey). */
export async function seedUser(store: Store, count = 1): Promise<{ user: UserRecord; passkeys: PasskeyRecord[] }> {
  const user = makeUser()
  const passkeys = Array.from({ length: count }, (_, i) => makePasskey(user.id, { createdAt: user.createdAt + i }))
  await store.users.createWithPasskey(user, passkeys[0]!)
  for (const p of passkeys.slice(1)) await store.passkeys.add(p)
  return { user, passkeys }
}
