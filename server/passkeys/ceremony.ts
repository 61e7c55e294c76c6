import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import type { CeremonyKind, CeremonyRecord } from '../store/index.ts'
import { putChallengeCounted, type CountedClientLimit } from '../rateLimits.ts'

interface ClientData { challenge?: unknown; crossOrigin?: unknown; topOrigin?: unknown }

/**
 * Reads the challenge a response answers from its clientDataJSON, refusing anything malformed. Sigil's pages
 * are never embedded (frame-ancestors 'none'), so a response made in a cross-origin iframe is refused too
 * (WebAuthn L3 §7.1 step 10, §7.2 step 13): SimpleWebAuthn leaves that check to the relying party.
 */
export function challengeOf(clientDataJSON: string): string {
  let data: ClientData | undefined
  try {
    data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as ClientData
  } catch {
    data = undefined
  }
  const challenge = data?.challenge
  if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(challenge)) {
    throw new ProblemError('client_data_malformed', 400, { detail: 'clientDataJSON is not valid client data.', field: 'response.response.clientDataJSON' })
  }
  if (data!.crossOrigin === true || data!.topOrigin !== undefined) {
    throw new ProblemError('cross_origin_forbidden', 400, { detail: 'Passkey ceremonies in a cross-origin frame are not accepted.', field: 'response.response.clientDataJSON' })
  }
  return challenge
}

/** Keeps the ceremony's challenge; with `limit`, counted against that per-client limit in the same store call. */
export async function startCeremony(deps: AppDeps, kind: CeremonyKind, challenge: string, extra: Pick<CeremonyRecord, 'userId' | 'data'> = {},
  limit?: CountedClientLimit): Promise<void> {
  const ceremony: CeremonyRecord = { challenge, kind, ...extra, expiresAt: deps.now() + deps.config.challengeSeconds * 1000 }
  if (limit) await putChallengeCounted(deps, ceremony, limit)
  else await deps.store.challenges.put(ceremony)
}

/**
 * Consumes the ceremony a response answers. The store deletes it atomically, so one challenge verifies
 * once across every instance; a challenge of another kind, or started by another user, is refused as unknown.
 */
export async function finishCeremony(deps: AppDeps, kind: CeremonyKind, clientDataJSON: string, userId?: string): Promise<CeremonyRecord> {
  const ceremony = await deps.store.challenges.consume(challengeOf(clientDataJSON))
  if (!ceremony || ceremony.kind !== kind || ceremony.userId !== userId) {
    throw new ProblemError('challenge_unknown', 400, { detail: 'The challenge is unknown or was already used; start again.', field: 'response.response.clientDataJSON' })
  }
  if (ceremony.expiresAt <= deps.now()) {
    throw new ProblemError('challenge_expired', 400, { detail: 'The challenge has expired; start again.', field: 'response.response.clientDataJSON' })
  }
  return ceremony
}

export function requireSameId(resp: { id: string; rawId: string }): void {
  if (resp.id !== resp.rawId) throw new ProblemError('credential_id_mismatch', 400, { detail: 'id and rawId differ.', field: 'response.rawId' })
}
