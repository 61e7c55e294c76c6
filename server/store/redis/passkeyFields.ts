import type { DeviceType, PasskeyRecord } from '../ports.ts'

/** A passkey as hash field/value pairs; shared by the users store (first passkey) and the passkeys store. */
export function passkeyFields(p: PasskeyRecord): string[] {
  // Only the view's own bytes: the Uint8Array may be a window onto a larger buffer.
  const publicKey = Buffer.from(p.publicKey.buffer, p.publicKey.byteOffset, p.publicKey.byteLength)
  const fields = ['id', p.id, 'userId', p.userId, 'publicKey', publicKey.toString('base64url'),
    'counter', String(p.counter), 'transports', JSON.stringify(p.transports), 'aaguid', p.aaguid,
    'deviceType', p.deviceType, 'backedUp', p.backedUp ? '1' : '0', 'name', p.name,
    'attestationFmt', p.attestationFmt, 'createdAt', String(p.createdAt)]
  // A null lastUsedAt is an absent field.
  if (p.lastUsedAt !== null) fields.push('lastUsedAt', String(p.lastUsedAt))
  return fields
}

/** The record from an HGETALL reply; undefined for a missing key. */
export function toPasskeyRecord(h: Record<string, string>): PasskeyRecord | undefined {
  if (h.id === undefined) return undefined
  return {
    id: h.id, userId: h.userId!,
    // A plain Uint8Array copy, not the Buffer subclass: callers compare and hand it to Web Crypto code.
    publicKey: new Uint8Array(Buffer.from(h.publicKey!, 'base64url')),
    counter: Number(h.counter), transports: JSON.parse(h.transports!) as string[], aaguid: h.aaguid!,
    deviceType: h.deviceType as DeviceType, backedUp: h.backedUp === '1', name: h.name!,
    attestationFmt: h.attestationFmt!, createdAt: Number(h.createdAt),
    lastUsedAt: h.lastUsedAt === undefined ? null : Number(h.lastUsedAt),
  }
}
