import { presentSdJwtVc } from '../../../credentials/index.ts'
import { post, type SignedIn } from '../api.ts'
import { viewCredential } from '../wallet/claims.ts'
import { holderOf, type Holder } from '../wallet/holderKey.ts'
import { checkCredentialStatus } from '../wallet/status.ts'
import { holdersByHandle, listCredentials } from '../wallet/store.ts'

/**
 * Recovery by credential, from the signed-out recover page: the KYC credential this browser's wallet collected
 * for the account (while it was signed in, which is what linked it) stands in for a recovery code. The page
 * finds the account's holder key by handle, presents the credential with no optional disclosure and a
 * key-binding JWT over the server's single-use nonce, and gets the same restricted recovery session.
 */

export interface RecoveryOptions {
  nonce: string
  audience: string
  vct: string
  claims: string[]
  expiresAt: string
}

interface Candidate {
  holder: Holder
  credential: string
  vct: string
}

/** What the wallet in this browser holds for a handle. */
export type WalletFind =
  | { kind: 'found'; candidates: Candidate[] }
  /** No holder key or no credential for this handle in this browser. */
  | { kind: 'none' }
  /** Credentials, but every one has expired, or its issuer says it is revoked or suspended. */
  | { kind: 'unusable' }

/**
 * The credentials this browser's wallet holds for the account with `handle` that may still work, best first:
 * those whose status list says valid (newest first), then those whose status couldn't be checked (offline).
 * Expired, revoked and suspended ones are left out: the server would refuse them.
 */
export async function findInWallet(handle: string, now = new Date()): Promise<WalletFind> {
  const valid: Candidate[] = []
  const unchecked: Candidate[] = []
  let seen = 0
  for (const record of await holdersByHandle(handle)) {
    const holder = holderOf(record.privateKey, record.jwk)
    for (const stored of await listCredentials(record.userId)) {
      seen++
      let view
      try {
        view = await viewCredential(stored.credential)
      } catch {
        continue
      }
      const { status } = await checkCredentialStatus(view, now)
      const candidate = { holder, credential: stored.credential, vct: view.vct }
      if (status === 'valid') valid.push(candidate)
      else if (status === 'unknown') unchecked.push(candidate)
    }
  }
  if (seen === 0) return { kind: 'none' }
  const candidates = [...valid, ...unchecked]
  return candidates.length ? { kind: 'found', candidates } : { kind: 'unusable' }
}

/** Raised when none of the wallet's credentials is of the type the server asks for. */
export class NoMatchingCredential extends Error {}

/**
 * Options (a fresh nonce) → the presentation of the first credential of the asked-for type, disclosing nothing
 * selectively disclosable, with a KB-JWT (nonce, aud = the returned audience) → verify. Resolves with the
 * recovery session; a refusal is the server's uniform 401 `recovery_failed` (an ApiError).
 */
export async function recoverWithCredential(handle: string, candidates: Candidate[]): Promise<SignedIn> {
  const options = await post<RecoveryOptions>('/v1/recovery/credential/options', {})
  const chosen = candidates.find((c) => c.vct === options.vct)
  if (!chosen) throw new NoMatchingCredential('no credential of the requested type')
  const presentation = await presentSdJwtVc(chosen.credential, {
    // `claims` is always empty: only the always-visible claims are seen, and disclosing more is refused.
    disclose: [],
    keyBinding: { holder: chosen.holder.signer, nonce: options.nonce, audience: options.audience, now: new Date() },
  })
  return post<SignedIn>('/v1/recovery/credential/verify', { handle, nonce: options.nonce, presentation })
}
