import { checkStatus, CredentialError, StatusListCache } from '../../../credentials/index.ts'
import type { CredentialView } from './claims.ts'
import { didKey } from './didKeys.ts'

/**
 * Whether a stored credential still holds (Token Status List, draft-ietf-oauth-status-list §8.3): the wallet
 * fetches the list its credential names, checks the list token's signature with the issuer's key from its
 * did:web document and reads the credential's entry. Lists are kept for their `ttl` (60 s from Sigil), so a page
 * full of credentials fetches each list once.
 */

export type CredentialStatus = 'valid' | 'revoked' | 'suspended' | 'expired' | 'unknown'

export interface CheckedStatus {
  status: CredentialStatus
  /** For `unknown`: the list couldn't be fetched (offline), or it came but didn't verify. */
  why?: 'offline' | 'unverified'
}

const lists = new StatusListCache({ defaultMaxAgeSeconds: 60 })

async function fetchStatusList(uri: string): Promise<string> {
  // `no-cache` revalidates (an ETag makes that a 304): the HTTP cache must not hide a revocation for its max-age.
  const res = await fetch(uri, { credentials: 'omit', cache: 'no-cache', headers: { Accept: 'application/statuslist+jwt' } })
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  return res.text()
}

export async function checkCredentialStatus(v: CredentialView, now = new Date()): Promise<CheckedStatus> {
  if (v.expiresAt && v.expiresAt.getTime() <= now.getTime()) return { status: 'expired' }
  // No status reference: the issuer can't revoke it, so its signature and expiry are all there is to check.
  if (!v.status) return { status: 'valid' }
  try {
    await checkStatus(v.status, {
      fetchStatusList, now, cache: lists, cacheKey: v.issuer,
      // Trust: only keys of the credential's own issuer may sign its status list.
      resolveKey: (alg, kid) => didKey(v.issuer, kid, alg),
    })
    return { status: 'valid' }
  } catch (err) {
    const code = err instanceof CredentialError ? err.code : undefined
    if (code === 'credential_revoked') return { status: 'revoked' }
    if (code === 'credential_suspended') return { status: 'suspended' }
    return { status: 'unknown', why: code === 'status_unavailable' ? 'offline' : 'unverified' }
  }
}
