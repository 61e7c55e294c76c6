import { randomBytes } from 'node:crypto'
import type { JWK } from 'jose'
import { CredentialError, didJwkFromJwk, issueKycJwtVc, issueKycSdJwtVc, parseKycSubject } from '../../credentials/index.ts'
import { domainEvent } from '../audit/index.ts'
import type { AppDeps } from '../deps.ts'
import type { KycAccessTokenRecord } from '../store/index.ts'
import { CONFIGURATION_IDS, type ConfigurationId, CREDENTIAL_VALIDITY_SECONDS, issuerIdentity, KYC_SD_JWT } from './issuer.ts'
import { OAuthError } from './oauthError.ts'
import { verifyKeyProof } from './proof.ts'
import { sha256, unseal } from './seal.ts'
import { pickStatusEntry, statusListUri } from './statusLists.ts'
import { withoutDerivedAges } from './subjects.ts'
import { zCredentialRequest } from './wire.ts'

const ENTRY_ATTEMPTS = 20

async function accessToken(deps: AppDeps, authorization: string | undefined): Promise<{ raw: string; record: KycAccessTokenRecord }> {
  const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(authorization ?? '')
  if (!m) throw new OAuthError('invalid_token', 401, 'Send the access token from the token endpoint as "Authorization: Bearer <token>".')
  const record = await deps.store.kyc.getAccessToken(sha256(m[1]!))
  if (!record || record.expiresAt <= deps.now()) throw new OAuthError('invalid_token', 401, 'The access token is unknown, used or expired.')
  return { raw: m[1]!, record }
}

/**
 * The credential endpoint (OpenID4VCI 1.0 §8): checks the access token, the request and its one key proof, then
 * takes the token (one credential per token) and issues the KYC credential bound to the proof's key, with a
 * random entry on a status list. The KYC data is then erased unless SIGIL_KYC_RETAIN_PII; the record keeps only
 * hashes, the type and the status entry, and `accountId`: the signed-in account that collected it (see
 * collectingAccount), which alone may later recover with it.
 */
export async function issueCredential(deps: AppDeps, authorization: string | undefined, body: unknown,
  accountId?: string): Promise<{ credentials: { credential: string }[] }> {
  const token = await accessToken(deps, authorization)
  const r = zCredentialRequest.safeParse(body ?? {})
  if (!r.success) {
    const issue = r.error.issues[0]!
    throw new OAuthError('invalid_credential_request', 400, `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`)
  }
  const req = r.data
  const configurationId = req.credential_configuration_id ?? req.credential_identifier
  if (configurationId === undefined) throw new OAuthError('invalid_credential_request', 400, 'credential_configuration_id is required.')
  if (!(CONFIGURATION_IDS as readonly string[]).includes(configurationId)) {
    throw new OAuthError('unknown_credential_configuration', 400, `No credential configuration ${configurationId.slice(0, 100)}.`)
  }
  if (!token.record.configurationIds.includes(configurationId)) {
    throw new OAuthError('invalid_credential_request', 400, 'The access token was not granted for this credential configuration.')
  }
  if (req.proof && req.proofs) throw new OAuthError('invalid_credential_request', 400, 'Send proof or proofs, not both.')
  const proofs = req.proof ? [req.proof.jwt] : req.proofs?.jwt ?? []
  if (proofs.length === 0) throw new OAuthError('invalid_proof', 400, 'A key proof (proof_type jwt) is required.')
  if (proofs.length > 1) throw new OAuthError('invalid_credential_request', 400, 'One proof per request: batch issuance is not offered.')
  const issuer = issuerIdentity(deps)
  const holderJwk = await verifyKeyProof(deps, proofs[0]!, issuer.url)

  const now = deps.now()
  const data = await subjectData(deps, token, now)
  // The token is spent only now, so a request refused above can be corrected and retried with it.
  const taken = await deps.store.kyc.consumeAccessToken(token.record.tokenHash)
  if (!taken) throw new OAuthError('invalid_token', 401, 'The access token was already used.')
  return issueAndRecord(deps, taken, configurationId as ConfigurationId, data, holderJwk, accountId, now)
}

/**
 * The subject's KYC data as it will be issued at `now`, checked before the token is spent: data that passed at
 * submission can fail later (stored by an older version, or a check added since), and that is refused as
 * `credential_request_denied` (OpenID4VCI 1.0 §8.3.1.2), not a server error. The reason names a field, never a value.
 */
async function subjectData(deps: AppDeps, token: { raw: string; record: KycAccessTokenRecord }, now: number): Promise<Record<string, unknown>> {
  const subjectRef = unseal(token.raw, token.record.sealedRef)
  const subject = subjectRef === undefined ? undefined : await deps.store.kyc.getSubject(token.record.subjectRefHash)
  const sealed = subject && subject.expiresAt > now ? subject.sealed : null
  const json = sealed === null ? undefined : unseal(subjectRef!, sealed)
  if (json === undefined) throw new OAuthError('credential_request_denied', 400, 'The KYC data for this offer is no longer held.')
  const data = withoutDerivedAges(JSON.parse(json) as Record<string, unknown>)
  try {
    parseKycSubject(data, { now: new Date(now) })
  } catch (err) {
    if (err instanceof CredentialError) throw dataDenied(err)
    throw err
  }
  return data
}

const dataDenied = (err: CredentialError): OAuthError =>
  new OAuthError('credential_request_denied', 400, `The KYC data held for this offer cannot be issued (${err.field || err.code}); submit the subject again.`)

async function issueAndRecord(deps: AppDeps, token: KycAccessTokenRecord, configurationId: ConfigurationId, data: Record<string, unknown>, holderJwk: JWK,
  accountId: string | undefined, now: number) {
  const issuer = issuerIdentity(deps)
  const id = `kcr_${randomBytes(16).toString('base64url')}`
  for (let attempt = 0; attempt < ENTRY_ATTEMPTS; attempt++) {
    const entry = await pickStatusEntry(deps)
    const status = { idx: entry.index, uri: statusListUri(deps, entry.listId) }
    const opts = { signer: issuer.signer, issuerUrl: issuer.url, status, now: new Date(now), validitySeconds: CREDENTIAL_VALIDITY_SECONDS }
    let credential: string
    try {
      credential = configurationId === KYC_SD_JWT
        ? await issueKycSdJwtVc(data, { ...opts, issuer: issuer.did, holderJwk })
        : await issueKycJwtVc(data, { ...opts, issuerDid: issuer.did, holderDid: didJwkFromJwk(holderJwk) })
    } catch (err) {
      // Checked with the same data and time before the token was spent; should it fail anyway, still an OAuth error.
      if (err instanceof CredentialError) throw dataDenied(err)
      throw err
    }
    const facts = { subjectRefHash: token.subjectRefHash, configurationId, statusList: entry.listId, offerId: token.offerId, accountLinked: accountId !== undefined }
    const created = await deps.store.kyc.createCredential({
      id, subjectRefHash: token.subjectRefHash, credentialHash: sha256(credential), vct: issuer.vct, configurationId,
      statusListId: entry.listId, statusIndex: entry.index, status: 'valid', issuedAt: now, expiresAt: now + CREDENTIAL_VALIDITY_SECONDS * 1000, updatedAt: now,
      ...(accountId === undefined ? {} : { accountId }),
    }, [domainEvent('kyc.credential_issued', id, now, facts)])
    if (!created) continue // another credential holds that entry: pick again
    if (!deps.config.kyc.retainPii) await deps.store.kyc.eraseSubject(token.subjectRefHash)
    await deps.store.audit.append({ type: 'kyc.credential_issued', actor: accountId ?? 'wallet', subject: id,
      data: { ...facts, statusIndex: entry.index, piiErased: !deps.config.kyc.retainPii } }, now)
    return { credentials: [{ credential }] }
  }
  throw new Error('no free status list entry after repeated attempts')
}
