import { randomBytes } from 'node:crypto'
import type { AppDeps } from '../deps.ts'

/** How long a c_nonce may wait for the proof that uses it. */
export const NONCE_SECONDS = 300

/** The nonce endpoint (OpenID4VCI 1.0 §7): a fresh c_nonce, stored until it is used once or expires. */
export async function issueNonce(deps: AppDeps): Promise<{ c_nonce: string; c_nonce_expires_in: number }> {
  const nonce = randomBytes(32).toString('base64url')
  await deps.store.kyc.putNonce(nonce, deps.now() + NONCE_SECONDS * 1000)
  return { c_nonce: nonce, c_nonce_expires_in: NONCE_SECONDS }
}
