import { CredentialError, verifyPresentation, type FetchStatusList, type TrustedIssuerList } from '../../credentials/index.ts'
import type { PolicyEngine } from '../../policies/index.ts'
import { policySourceFor } from '../approvals/index.ts'
import type { AppDeps } from '../deps.ts'
import { ProblemError } from '../errors.ts'
import { CREDENTIAL_VALIDITY_SECONDS, issuerIdentity, statusListToken } from '../kyc/index.ts'
import { withKeyRefresh } from '../keys/index.ts'
import type { ApiClientRecord } from '../store/index.ts'

interface VerifierSetup { kids: string; trustedIssuers: TrustedIssuerList; fetchStatusList: FetchStatusList }
const setups = new WeakMap<AppDeps, VerifierSetup>()

/**
 * What this server's verifications share, so that credentials/ keeps one verifier for them (verifyPresentation
 * reuses a verifier for the same trust list and fetcher): issuer keys imported once, and status lists verified once
 * and cached for the `ttl` they carry (STATUS_LIST_TTL_SECONDS, 60 s; capped by `exp`), the revocation delay every
 * relying party gets (Sigil itself also checks its own record: requireCurrentStatus). Only this issuer's own lists are fetched, so the cache holds at most one entry per list (and
 * the library bounds it). Sigil trusts itself as the issuer of its KYC credential type, with the keys of its JWKS
 * (retired ones too, as long as a credential they signed can be valid); when that set of keys changes, a new setup starts with an empty cache.
 */
function verifierSetup(deps: AppDeps): VerifierSetup {
  const jwks = deps.keys.publishedFor(CREDENTIAL_VALIDITY_SECONDS)
  const kids = jwks.keys.map((k) => k.kid).join(' ')
  const cached = setups.get(deps)
  if (cached && cached.kids === kids) return cached
  const id = issuerIdentity(deps)
  const prefix = `${deps.config.publicUrl}/status-lists/`
  const setup: VerifierSetup = {
    kids,
    trustedIssuers: [{ issuer: id.did, vcts: [id.vct], keys: jwks.keys }],
    fetchStatusList: async (uri) => {
      if (!uri.startsWith(prefix)) throw new CredentialError('status_unavailable', { detail: 'not a status list of this issuer' })
      return (await statusListToken(deps, uri.slice(prefix.length))).token
    },
  }
  setups.set(deps, setup)
  return setup
}

/** The issuer signature names a key Sigil's trust list does not hold (yet). */
const isKeyUnknown = (err: unknown): boolean => err instanceof CredentialError && err.code === 'key_unknown'

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

/** Who asks for claims: a relying app (API client), or Sigil itself for the Travel Rule (registered under it). */
export type DisclosingApp = Pick<ApiClientRecord, 'id'> & { travelRule?: boolean }

type DisclosureInput = Parameters<PolicyEngine['evaluateDisclosure']>[0]
type DisclosureDecision = ReturnType<PolicyEngine['evaluateDisclosure']>
const decisions = new WeakMap<PolicyEngine, Map<string, DisclosureDecision>>()

/**
 * A disclosure decision is a pure function of the compiled policy set and its input (no clock, no lookups), so it
 * is kept per engine (a policy change brings a new engine) and per exact input: the same app asking for the same
 * claims is not evaluated again. At most 1024 inputs per engine. Anything added to the input is part of the key.
 */
function decideDisclosure(engine: PolicyEngine, input: DisclosureInput): DisclosureDecision {
  let cache = decisions.get(engine)
  if (!cache) decisions.set(engine, cache = new Map())
  const key = JSON.stringify(input)
  const hit = cache.get(key)
  if (hit) return hit
  const decision = engine.evaluateDisclosure(input)
  if (cache.size >= 1024) cache.clear()
  cache.set(key, decision)
  return decision
}

/** The app's disclosure policy (Cedar) must allow every claim asked for; a refusal is audited and answers 403. */
export async function requireDisclosure(deps: AppDeps, client: DisclosingApp, claims: string[]): Promise<void> {
  const engine = await policySourceFor(deps.store).current()
  const decision = decideDisclosure(engine, { appId: client.id, ...(client.travelRule ? { appAttributes: { travelRule: true } } : {}), claims })
  if (decision.allowed) return
  await deps.store.audit.append({ type: 'presentation.disclosure_refused', actor: client.id, subject: client.id,
    data: { refused: decision.refused.map((r) => r.claim) } }, deps.now())
  throw new ProblemError('disclosure_forbidden', 403, { detail: `This app may not ask for: ${decision.refused.map((r) => r.claim).join(', ')}.`,
    field: 'claims', extra: { refused: decision.refused.map((r) => ({ claim: r.claim, reasons: r.reasons })) } })
}

/**
 * The status list answers from cache for up to its ttl; for its own credentials Sigil also reads the record behind
 * the status entry (one indexed lookup in the shared store), so a revocation or suspension made on any instance
 * counts at once. An entry with no record (not issued through this store) is left to the list.
 */
async function requireCurrentStatus(deps: AppDeps, reference: { idx: number; uri: string } | undefined): Promise<void> {
  const prefix = `${deps.config.publicUrl}/status-lists/`
  if (!reference || !reference.uri.startsWith(prefix)) return
  const record = await deps.store.kyc.getCredentialByStatusEntry(reference.uri.slice(prefix.length), reference.idx)
  if (!record || record.status === 'valid') return
  const reason = record.status === 'revoked' ? 'credential_revoked' : 'credential_suspended'
  throw new ProblemError('presentation_invalid', 422, { detail: `The presentation does not verify: ${reason}.`, field: 'presentation', extra: { reason } })
}

/**
 * `POST /v1/presentations/verify`, stateless: the relying app's disclosure policy (Cedar) must allow every claim
 * it asks for (else 403, audited); then the presentation is verified as the offline verifier does it (issuer
 * signature and trust, strict disclosures, key binding with nonce and audience, expiry, status list), with no
 * claim disclosed beyond those asked for. Only the asked-for claims are returned; nothing is stored.
 */
export async function verifyForApp(deps: AppDeps, client: DisclosingApp, body: { presentation: string; nonce: string; audience?: string; claims: string[] }) {
  await requireDisclosure(deps, client, body.claims)
  const id = issuerIdentity(deps)
  let result
  try {
    // A credential signed by another instance with a key this one has not read yet: re-read once (in the
    // OpenID4VP flow the request is already consumed, so a refusal here would be final).
    result = await withKeyRefresh(deps.keys, isKeyUnknown, () => {
      const setup = verifierSetup(deps)
      return verifyPresentation(body.presentation, {
        trustedIssuers: setup.trustedIssuers,
        fetchStatusList: setup.fetchStatusList,
        now: new Date(deps.now()), expectedNonce: body.nonce, expectedAudience: body.audience ?? client.id, expectedVct: id.vct,
        expectedClaims: body.claims.map((c) => c.split('.')),
      })
    })
  } catch (err) {
    if (!(err instanceof CredentialError)) throw err
    throw new ProblemError('presentation_invalid', 422, { detail: `The presentation does not verify: ${err.code}.`, field: 'presentation', extra: { reason: err.code } })
  }
  await requireCurrentStatus(deps, result.status?.reference)
  await deps.store.audit.append({ type: 'presentation.verified', actor: client.id, subject: client.id, data: { claims: body.claims } }, deps.now())
  return { verified: true as const, issuer: result.issuer, vct: result.vct, claims: pick(result.claims, body.claims),
    status: result.status?.checked ? 'valid' as const : 'unchecked' as const }
}
