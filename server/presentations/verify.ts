import { CredentialError, verifyPresentation, type TrustedIssuerList } from '../../credentials/index.ts'
import { policySourceFor } from '../approvals/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { issuerIdentity, statusListToken } from '../kyc/index.ts'
import type { ApiClientRecord } from '../store/index.ts'

const trustCache = new WeakMap<object, TrustedIssuerList>()

/** Sigil trusts itself as the issuer of its KYC credential type, with the keys of its own JWKS (retired ones too). */
function trustedIssuers(deps: AppDeps): TrustedIssuerList {
  const jwks = deps.keys.jwks()
  const cached = trustCache.get(jwks)
  if (cached) return cached
  const id = issuerIdentity(deps)
  const list: TrustedIssuerList = [{ issuer: id.did, vcts: [id.vct], keys: jwks.keys }]
  trustCache.set(jwks, list)
  return list
}

/** Picks the requested claims out of the verified ones (nested by dotted path). */
function pick(claims: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const p of paths) {
    const parts = p.split('.')
    let value: unknown = claims
    for (const part of parts) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined
    if (value === undefined) continue
    let node = out
    parts.slice(0, -1).forEach((part) => { node = (node[part] ??= {}) as Record<string, unknown> })
    node[parts.at(-1)!] = value
  }
  return out
}

/**
 * `POST /v1/presentations/verify`, stateless: the relying app's disclosure policy (Cedar) must allow every claim
 * it asks for (else 403, audited); then the presentation is verified as the offline verifier does it (issuer
 * signature and trust, strict disclosures, key binding with nonce and audience, expiry, status list), with no
 * claim disclosed beyond those asked for. Only the asked-for claims are returned; nothing is stored.
 */
/** The app's disclosure policy (Cedar) must allow every claim asked for; a refusal is audited and answers 403. */
export async function requireDisclosure(deps: AppDeps, client: ApiClientRecord, claims: string[]): Promise<void> {
  const engine = await policySourceFor(deps.store).current()
  const decision = engine.evaluateDisclosure({ appId: client.id, claims })
  if (decision.allowed) return
  await deps.store.audit.append({ type: 'presentation.disclosure_refused', actor: client.id, subject: client.id,
    data: { refused: decision.refused.map((r) => r.claim) } }, deps.now())
  throw new ProblemError('disclosure_forbidden', 403, { detail: `This app may not ask for: ${decision.refused.map((r) => r.claim).join(', ')}.`,
    field: 'claims', extra: { refused: decision.refused.map((r) => ({ claim: r.claim, reasons: r.reasons })) } })
}

export async function verifyForApp(deps: AppDeps, client: ApiClientRecord, body: { presentation: string; nonce: string; audience?: string; claims: string[] }) {
  await requireDisclosure(deps, client, body.claims)
  const id = issuerIdentity(deps)
  const prefix = `${deps.config.publicUrl}/status-lists/`
  let result
  try {
    result = await verifyPresentation(body.presentation, {
      trustedIssuers: trustedIssuers(deps),
      fetchStatusList: async (uri) => {
        if (!uri.startsWith(prefix)) throw new CredentialError('status_unavailable', { detail: 'not a status list of this issuer' })
        return (await statusListToken(deps, uri.slice(prefix.length))).token
      },
      now: new Date(deps.now()), expectedNonce: body.nonce, expectedAudience: body.audience ?? client.id, expectedVct: id.vct,
      expectedClaims: body.claims.map((c) => c.split('.')),
    })
  } catch (err) {
    if (!(err instanceof CredentialError)) throw err
    throw new ProblemError('presentation_invalid', 422, { detail: `The presentation does not verify: ${err.code}.`, field: 'presentation', extra: { reason: err.code } })
  }
  await deps.store.audit.append({ type: 'presentation.verified', actor: client.id, subject: client.id, data: { claims: body.claims } }, deps.now())
  return { verified: true as const, issuer: result.issuer, vct: result.vct, claims: pick(result.claims, body.claims),
    status: result.status?.checked ? 'valid' as const : 'unchecked' as const }
}
