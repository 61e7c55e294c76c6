import fs from 'node:fs'
import { z } from 'zod'
import type { DeviceType } from '../store/index.ts'
import { ProblemError } from '../errors.ts'

const zUuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i).transform((s) => s.toLowerCase())

const zPolicy = z.strictObject({
  /** Ask for attestation and refuse `none`. */
  requireAttestation: z.boolean().default(false),
  /** Refuse synced passkeys (backup eligible): only hardware-bound credentials. */
  deviceBoundOnly: z.boolean().default(false),
  aaguidAllow: z.array(zUuid).default([]),
  aaguidDeny: z.array(zUuid).default([]),
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
  const parsed = zAttestationPolicies.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')))
  if (!parsed.success) throw new Error(`SIGIL_ATTESTATION_POLICY ${file}: ${z.prettifyError(parsed.error)}`)
  return { default: DEFAULT_POLICIES.default!, ...parsed.data }
}

/** The strictest combination of the default policy and the policies of every role the user holds. */
export function effectivePolicy(policies: AttestationPolicies, roles: string[]): AttestationPolicy {
  const parts = [policies.default, ...roles.map((r) => policies[r])].filter((p): p is AttestationPolicy => !!p)
  const allowLists = parts.map((p) => p.aaguidAllow).filter((l) => l.length > 0)
  return {
    requireAttestation: parts.some((p) => p.requireAttestation),
    deviceBoundOnly: parts.some((p) => p.deviceBoundOnly),
    aaguidAllow: allowLists.length ? allowLists.reduce((a, b) => a.filter((x) => b.includes(x))) : [],
    aaguidDeny: [...new Set(parts.flatMap((p) => p.aaguidDeny))],
  }
}

export interface AttestedCredential {
  fmt: string
  aaguid: string
  deviceType: DeviceType
}

/** Throws `attestation_policy_violation` naming what failed. */
export function enforceAttestationPolicy(policy: AttestationPolicy, c: AttestedCredential): void {
  const fail = (detail: string, field: string): never => {
    throw new ProblemError('attestation_policy_violation', 403, { detail, field })
  }
  if (policy.requireAttestation && c.fmt === 'none') fail('This account needs an authenticator that provides attestation.', 'response.attestationObject')
  if (policy.deviceBoundOnly && c.deviceType === 'multiDevice') fail('This account needs a device-bound passkey (a security key), not a synced one.', 'response.authenticatorData')
  if (policy.aaguidDeny.includes(c.aaguid)) fail('This authenticator model is not allowed.', 'aaguid')
  if (policy.aaguidAllow.length && !policy.aaguidAllow.includes(c.aaguid)) fail('This authenticator model is not on the allowed list.', 'aaguid')
}
