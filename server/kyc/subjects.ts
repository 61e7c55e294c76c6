import { CredentialError, parseKycSubject } from '../../credentials/index.ts'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps, Principal } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { actorOf, assertIssuanceAllowed } from './access.ts'
import { seal, secret, sha256 } from './seal.ts'

/** How long submitted KYC data waits for issuance before it is dropped. */
export const SUBJECT_TTL_MS = 30 * 24 * 3600_000

/** Validates KYC data against the subject schema; a bad field is `kyc_data_invalid` naming `data.<path>`. */
export function checkKycData(data: unknown, now: number): void {
  try {
    parseKycSubject(data, { now: new Date(now) })
  } catch (err) {
    if (err instanceof CredentialError) {
      const field = err.field === undefined || err.field === '' ? 'data' : `data.${err.field}`
      throw new ProblemError('kyc_data_invalid', 400, { detail: `${field}: ${err.detail ?? err.code}`, field, cause: err })
    }
    throw err
  }
}

/**
 * The data a credential is issued from. With a `birthdate`, `age_equal_or_over` is derived from it on the day of
 * issuance, so flags sent along (checked against it at submission) are not kept: a birthday between submission
 * and issuance would make them disagree, and the subject could never be issued.
 */
export function withoutDerivedAges(data: Record<string, unknown>): Record<string, unknown> {
  if (data.birthdate === undefined || data.age_equal_or_over === undefined) return data
  const rest = { ...data }
  delete rest.age_equal_or_over
  return rest
}

/**
 * Takes verified KYC data (from a compliance officer or a KYC vendor's callback) and returns the subject
 * reference that offers name. The data is stored sealed under a key derived from the reference, which is not
 * stored itself (only its hash): whoever holds the reference can have a credential issued, nobody else can read it.
 */
export async function submitSubject(deps: AppDeps, principal: Principal, data: Record<string, unknown>): Promise<{ subjectRef: string; expiresAt: number }> {
  await assertIssuanceAllowed(deps, principal, 'SubmitSubject')
  const now = deps.now()
  checkKycData(data, now)
  const subjectRef = secret('ksub')
  const refHash = sha256(subjectRef)
  const expiresAt = now + SUBJECT_TTL_MS
  const actor = actorOf(principal)
  // Events and audit carry the reference's hash and who submitted it: never the data.
  const facts = { by: principal.kind === 'client' ? 'client' : 'user', level: String(data.kyc_level) }
  await deps.store.kyc.putSubject({ refHash, sealed: seal(subjectRef, JSON.stringify(withoutDerivedAges(data))), submittedBy: actor, createdAt: now, expiresAt },
    [domainEvent('kyc.subject_received', refHash, now, facts)])
  await deps.store.audit.append({ type: 'kyc.subject_received', actor, subject: refHash, data: facts }, now)
  return { subjectRef, expiresAt }
}
