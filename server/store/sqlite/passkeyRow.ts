import type { DeviceType, PasskeyRecord } from '../ports.ts'

/** The passkeys table row; shared by the users store (first passkey) and the passkeys store. */
export interface PasskeyRow {
  id: string
  user_id: string
  public_key: Buffer
  counter: number
  transports: string
  aaguid: string
  device_type: string
  backed_up: number
  name: string
  attestation_fmt: string
  created_at: number
  last_used_at: number | null
}

export const INSERT_PASSKEY = `INSERT INTO passkeys (id, user_id, public_key, counter, transports, aaguid,
  device_type, backed_up, name, attestation_fmt, created_at, last_used_at)
  VALUES (@id, @user_id, @public_key, @counter, @transports, @aaguid, @device_type, @backed_up, @name,
  @attestation_fmt, @created_at, @last_used_at)`

export function toPasskeyRow(p: PasskeyRecord): PasskeyRow {
  return {
    id: p.id, user_id: p.userId,
    // Only the view's own bytes: the Uint8Array may be a window onto a larger buffer.
    public_key: Buffer.from(p.publicKey.buffer, p.publicKey.byteOffset, p.publicKey.byteLength),
    counter: p.counter, transports: JSON.stringify(p.transports), aaguid: p.aaguid,
    device_type: p.deviceType, backed_up: p.backedUp ? 1 : 0, name: p.name,
    attestation_fmt: p.attestationFmt, created_at: p.createdAt, last_used_at: p.lastUsedAt,
  }
}

export function toPasskeyRecord(r: PasskeyRow): PasskeyRecord {
  return {
    id: r.id, userId: r.user_id,
    // A plain Uint8Array copy, not the Buffer subclass: callers compare and hand it to Web Crypto code.
    publicKey: new Uint8Array(r.public_key),
    counter: r.counter, transports: JSON.parse(r.transports) as string[], aaguid: r.aaguid,
    deviceType: r.device_type as DeviceType, backedUp: r.backed_up === 1, name: r.name,
    attestationFmt: r.attestation_fmt, createdAt: r.created_at, lastUsedAt: r.last_used_at,
  }
}
