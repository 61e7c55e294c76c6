/**
 * The WebAuthn identifiers the Signal API needs: the RP ID and the account's WebAuthn user.id (base64url).
 * GET /v1/me does not carry them yet, so the app remembers what ceremonies reveal (creation options'
 * `rp.id` and `user.id`, request options' `rpId`, an assertion's `userHandle`), keyed by account id.
 * They are opaque random values, not secrets.
 */

const KEY = 'sigil.webauthn'

interface Remembered {
  rpId?: string
  users: Record<string, string>
}

function read(): Remembered {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Remembered>
    return { rpId: typeof v.rpId === 'string' ? v.rpId : undefined, users: v.users && typeof v.users === 'object' ? v.users : {} }
  } catch {
    return { users: {} }
  }
}

function write(r: Remembered): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(r))
  } catch {
    // Storage can be full or disabled; the Signal API is best effort anyway.
  }
}

export function rememberRpId(rpId: string | undefined): void {
  if (!rpId) return
  const r = read()
  if (r.rpId !== rpId) write({ ...r, rpId })
}

export function rememberUser(accountId: string, webauthnUserId: string | undefined): void {
  if (!webauthnUserId) return
  const r = read()
  r.users[accountId] = webauthnUserId
  write(r)
}

/** The RP ID: from the server when it says, else the last one a ceremony named, else this host. */
export function rpIdFor(fromServer?: string): string {
  return fromServer ?? read().rpId ?? location.hostname
}

export function webauthnUserIdFor(accountId: string, fromServer?: string): string | undefined {
  return fromServer ?? read().users[accountId]
}
