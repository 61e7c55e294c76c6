import type { IncomingHttpHeaders } from 'node:http'
import type { AppDeps } from '../deps.ts'
import { createSessions, readCookie, sessionCookie } from '../sessions/index.ts'

/**
 * The account collecting a credential, for recovery by credential: the user of a full session whose cookie came
 * with the credential request from a page of Sigil's own origin (the web wallet). Anything else links no account,
 * and the credential is issued as before: wallets that are not our browser pages send no cookie and no Origin.
 *
 * The Origin check is what keeps another site from planting its credential on a signed-in victim's account (the
 * session cookie is SameSite=Lax and the request needs a CORS preflight too, but neither is the only guard).
 * A restricted recovery session links nothing: it may only add a passkey.
 */
export async function collectingAccount(deps: AppDeps, headers: IncomingHttpHeaders): Promise<string | undefined> {
  const origin = headers.origin
  if (origin === undefined || !deps.config.origins.includes(origin)) return undefined
  const id = readCookie(headers.cookie, sessionCookie(deps.config).name)
  if (!id) return undefined
  const session = await createSessions(deps).resolve(id)
  return session?.kind === 'full' ? session.userId : undefined
}
