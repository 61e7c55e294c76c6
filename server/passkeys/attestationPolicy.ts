import fs from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { z } from 'zod'
import type { AppDeps } from '../deps.ts'
import type { DeviceType, SessionRecord, UserRecord } from '../store/index.ts'
import { ProblemError } from '../errors.ts'

const zUuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i).transform((s) => s.toLowerCase())

function isCaCertificate(pem: string): boolean {
  try {
    return new X509Certificate(pem).ca
  } catch {
    return false
  }
}

const zPolicy = z.strictObject({
  /** Ask for attestation and refuse `none`. */
  requireAttestation: z.boolean().default(false),
  /** Refuse synced passkeys (backup eligible): only hardware-bound credentials. */
  deviceBoundOnly: z.boolean().default(false),
  aaguidAllow: z.array(zUuid).default([]),
  aaguidDeny: z.array(zUuid).default([]),
  /**
   * PEM certificates of the attestation roots trusted (the vendors' roots, from the FIDO Metadata Service). When
   * set, a new passkey must carry an x5c chain to one of them: without roots, attestation is whatever the client
   * says (anyone can make a packed attestation with a certificate chain of their own), so `requireAttestation`,
   * `deviceBoundOnly` and the AAGUID lists only filter honest authenticators.
   */
  attestationRoots: z.array(z.string().refine(isCaCertificate, 'a PEM CA certificate')).min(1).optional(),
})

export type AttestationPolicy = z.output<typeof zPolicy>

/** Policies by user role; `default` applies to everyone, a role's policy adds to it. */
export const zAttestationPolicies = z.record(z.string(), zPolicy)
export type AttestationPolicies = Record<string, AttestationPolicy>

export const DEFAULT_POLICIES: AttestationPolicies = {
  default: zPolicy.parse({}),
  // Compliance staff issue credentials: hardware keys only (a later issue gives the role its console).
  compliance: zPolicy.parse({ requireAttestation: true, deviceBoundOnly: true }),
}

export function loadAttestationPolicies(file: string | undefined): AttestationPolicies {
  if (!file) return DEFAULT_POLICIES
  let json: unknown
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`SIGIL_ATTESTATION_POLICY ${file}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err })
  }
  const parsed = zAttestationPolicies.safeParse(json)
  if (!parsed.success) throw new Error(`SIGIL_ATTESTATION_POLICY ${file}: ${z.prettifyError(parsed.error)}`)
  return { default: DEFAULT_POLICIES.default!, ...parsed.data }
}

/** The strictest combination of the default policy and the policies of every role the user holds. */
export function effectivePolicy(policies: AttestationPolicies, roles: string[]): AttestationPolicy {
  const parts = [policies.default, ...roles.map((r) => policies[r])].filter((p): p is AttestationPolicy => !!p)
  const allowLists = parts.map((p) => p.aaguidAllow).filter((l) => l.length > 0)
  const rootLists = parts.map((p) => p.attestationRoots).filter((l): l is string[] => l !== undefined)
  return {
    requireAttestation: parts.some((p) => p.requireAttestation),
    deviceBoundOnly: parts.some((p) => p.deviceBoundOnly),
    aaguidAllow: allowLists.length ? allowLists.reduce((a, b) => a.filter((x) => b.includes(x))) : [],
    aaguidDeny: [...new Set(parts.flatMap((p) => p.aaguidDeny))],
    // Several roles pinning roots: the chain must reach a root every one of them trusts.
    ...(rootLists.length ? { attestationRoots: rootLists.reduce((a, b) => a.filter((x) => b.includes(x))) } : {}),
  }
}

export interface AttestedCredential {
  fmt: string
  aaguid: string
  deviceType: DeviceType
  /** At registration: the attestation statement's x5c (empty when it has none) and the time to check it at. */
  attestation?: { x5c: Uint8Array[]; now: number }
}

/**
 * Whether `x5c` (leaf first) is a chain of valid certificates, each signed by the next, ending in or under one of
 * `roots`. SimpleWebAuthn checks the attestation signature with the leaf but skips the path when it has no roots.
 */
function chainsToRoot(x5c: Uint8Array[], roots: string[], now: number): boolean {
  try {
    const valid = (c: X509Certificate): boolean => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo)
    const chain = x5c.map((der) => new X509Certificate(der))
    const anchors = roots.map((p) => new X509Certificate(p)).filter((a) => a.ca && valid(a))
    if (chain.length === 0 || !chain.every(valid)) return false
    for (let i = 0; i + 1 < chain.length; i++) {
      const [cert, issuer] = [chain[i]!, chain[i + 1]!]
      if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false
    }
    const top = chain.at(-1)!
    return anchors.some((a) => (chain.length > 1 && top.raw.equals(a.raw)) || (top.checkIssued(a) && top.verify(a.publicKey)))
  } catch {
    return false
  }
}

/**
 * Throws `attestation_policy_violation` naming what failed: the part of a registration response, or, for a stored
 * passkey checked at sign-in (`'assertion'`), the passkey the response names (an assertion has no attestation).
 */
export function enforceAttestationPolicy(policy: AttestationPolicy, c: AttestedCredential, at: 'registration' | 'assertion' = 'registration'): void {
  const fail = (detail: string, field: string): never => {
    throw new ProblemError('attestation_policy_violation', 403, { detail, field: at === 'assertion' ? 'response.id' : field })
  }
  if (policy.requireAttestation && c.fmt === 'none') fail('This account needs an authenticator that provides attestation.', 'response.attestationObject')
  if (policy.deviceBoundOnly && c.deviceType === 'multiDevice') fail('This account needs a device-bound passkey (a security key), not a synced one.', 'response.authenticatorData')
  if (policy.aaguidDeny.includes(c.aaguid)) fail('This authenticator model is not allowed.', 'aaguid')
  if (policy.aaguidAllow.length && !policy.aaguidAllow.includes(c.aaguid)) fail('This authenticator model is not on the allowed list.', 'aaguid')
  // Checked when the passkey is registered; a stored passkey passed it then.
  if (policy.attestationRoots && c.attestation && !chainsToRoot(c.attestation.x5c, policy.attestationRoots, c.attestation.now)) {
    fail('The attestation does not chain to a trusted authenticator vendor.', 'response.attestationObject')
  }
}

/** Whether the user's roles accept this stored passkey (at sign-in, and for a session to act in the roles). */
export function meetsRolePolicy(policies: AttestationPolicies, roles: string[], passkey: StoredPasskeyKind): boolean {
  return acceptsPasskey(effectivePolicy(policies, roles), passkey)
}

/** What of a stored passkey an attestation policy judges. */
type StoredPasskeyKind = { attestationFmt: string; aaguid: string; deviceType: DeviceType }

/** Whether a policy accepts this stored passkey (enforceAttestationPolicy as a yes or no). */
export function acceptsPasskey(policy: AttestationPolicy, passkey: StoredPasskeyKind): boolean {
  try {
    enforceAttestationPolicy(policy, { fmt: passkey.attestationFmt, aaguid: passkey.aaguid, deviceType: passkey.deviceType }, 'assertion')
    return true
  } catch {
    return false
  }
}

/** True when a policy asks anything of a passkey (the default one asks nothing). */
const demandsAnything = (p: AttestationPolicy): boolean => p.requireAttestation || p.deviceBoundOnly || p.aaguidAllow.length > 0
  || p.aaguidDeny.length > 0 || p.attestationRoots !== undefined

/**
 * For calls made in a role (routes that name roles, KYC submissions): when the user's roles have an attestation
 * policy, the session must have been verified by a passkey of a kind it accepts. Sign-in already refuses other
 * passkeys, but a session opened before the role was granted (with a synced passkey, say) would otherwise act in it
 * for up to a day. A passkey added or used for re-verification in the session counts (`SessionRecord.passkeyId`).
 */
export async function assertSessionMeetsRolePolicy(deps: Pick<AppDeps, 'attestationPolicies' | 'store'>, session: SessionRecord, user: UserRecord): Promise<void> {
  const policy = effectivePolicy(deps.attestationPolicies, user.roles)
  if (!demandsAnything(policy)) return
  const passkey = session.passkeyId ? await deps.store.passkeys.get(session.passkeyId) : undefined
  if (passkey?.userId !== user.id || !acceptsPasskey(policy, passkey)) {
    throw new ProblemError('attestation_policy_violation', 403, {
      detail: 'Your role needs this session to be verified with a passkey of a kind it accepts, such as a security key: sign in with it (or re-verify with it), or add one on your account page.',
    })
  }
}
