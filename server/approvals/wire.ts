import { z } from 'zod'

/** Chains whose addresses are EVM hex addresses (0x + 40 hex digits; EIP-55 casing is not checked). */
export const EVM_CHAINS: readonly string[] = ['ethereum', 'sepolia', 'polygon', 'arbitrum', 'optimism', 'base', 'avalanche', 'bsc']

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/
const BASE58 = '1-9A-HJ-NP-Za-km-z'
/** Bech32/bech32m (BIP 173/350) shape: one case only, data part from the bech32 alphabet. No checksum check. */
const bech32 = (hrps: string) => new RegExp(`^(?:(?:${hrps})1[02-9ac-hj-np-z]{6,87}|(?:${hrps.toUpperCase()})1[02-9AC-HJ-NP-Z]{6,87})$`)
/** Per chain, the basic shape of a destination address; other chains get {@link GENERIC_ADDRESS}. */
const ADDRESS_SHAPES: Record<string, RegExp[]> = {
  bitcoin: [bech32('bc'), new RegExp(`^[13][${BASE58}]{25,34}$`)],
  'bitcoin-testnet': [bech32('tb|bcrt'), new RegExp(`^[mn2][${BASE58}]{25,34}$`)],
  solana: [new RegExp(`^[${BASE58}]{32,44}$`)],
  ...Object.fromEntries(EVM_CHAINS.map((c) => [c, [EVM_ADDRESS]])),
}
/** Letters, digits and `:._-` only: nothing that could hide or reorder characters on the approval page. */
const GENERIC_ADDRESS = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/

/** Control, format (bidi overrides, zero-width), surrogate, private-use and line/paragraph separators. */
const UNSAFE_TEXT = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u
/** More combining marks in a row than any script needs on one letter: stacked, they draw over the page's other fields. */
const MARK_FLOOD = /\p{M}{4,}/u
const zText = (max: number) => z.string().min(1).max(max)
  .refine((s) => !UNSAFE_TEXT.test(s), 'must not contain control, format (bidi, zero-width), private-use or line-separator characters')
  .refine((s) => !MARK_FLOOD.test(s), 'must not stack more than three combining marks on one character')

const zId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, '1-64 letters, digits, dash or underscore')

/** A chain as a lower-case slug (`ethereum`, `bitcoin`, `solana`, `polygon`, ...). */
export const zChain = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'a lower-case slug such as ethereum, bitcoin or solana')

/** A lower-case symbol slug (`eth`, `usdc`), an EVM contract address, or a base58 mint address. */
export const zAsset = z.string().max(64)
  // A symbol starts with a letter: "000eth" after an amount of 5 reads as "5 000ETH".
  .regex(new RegExp(`^(?:[a-z][a-z0-9._-]{0,31}|0x[0-9a-fA-F]{40}|[${BASE58}]{32,44})$`), 'a lower-case symbol starting with a letter, or a token contract address')

/** A positive decimal in the asset's whole units, at most 18 fractional digits, no exponent or sign. */
export const zAmount = z.string().max(60)
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]{1,18})?$/, 'a decimal string such as "1.5", at most 18 fractional digits')
  .refine((s) => /[1-9]/.test(s), 'must be greater than zero')

/** Who the funds go to, for the Travel Rule (FATF R.16). Optional; at least one field when present. */
export const zBeneficiary = z.strictObject({
  name: zText(140).optional(),
  accountRef: zText(128).optional(),
  vasp: zText(140).optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2').optional(),
}).refine((b) => Object.keys(b).length > 0, 'give at least one beneficiary field')

/**
 * What a wallet backend asks to have signed. Strict: unknown keys are refused at every level, so the digest
 * covers everything the signer will see. The destination must have the shape of an address on its chain.
 */
export const zTransactionIntent = z.strictObject({
  chain: zChain,
  asset: zAsset,
  amount: zAmount,
  source: z.strictObject({ walletId: zId, accountId: zId.optional() }),
  destination: z.string().max(128),
  memo: zText(256).optional(),
  beneficiary: zBeneficiary.optional(),
}).superRefine((intent, ctx) => {
  const shapes = ADDRESS_SHAPES[intent.chain] ?? [GENERIC_ADDRESS]
  if (!shapes.some((re) => re.test(intent.destination))) {
    ctx.addIssue({ code: 'custom', path: ['destination'], message: `not an address on ${intent.chain}` })
  }
})

/** A parsed transaction intent. */
export type TransactionIntent = z.output<typeof zTransactionIntent>

/** `POST /v1/approvals`: what a wallet backend asks to have approved. */
export const zCreateApprovalRequest = z.strictObject({
  intent: zTransactionIntent,
  /** API client id of the signing service that will redeem the token (its `aud`). */
  signer: z.string().min(1).max(64),
  /** Sigil user id of the person who initiated the transfer, for separation of duties. */
  initiatorUserId: z.string().min(1).max(64).optional(),
  expiresInSeconds: z.number().int().min(60).max(86_400).default(900),
})

export const zSimulateRequest = z.strictObject({
  intent: zTransactionIntent,
  initiatorUserId: z.string().min(1).max(64).optional(),
})

export const zApprovalIdParams = z.strictObject({ id: z.string().regex(/^apr_[A-Za-z0-9_-]{1,60}$/, 'an approval id (apr_…)') })

export const zApprovalOptionsRequest = z.strictObject({ decision: z.enum(['approve', 'reject']).default('approve') })

export const zRedeemRequest = z.strictObject({ token: z.string().min(1).max(8192) })

/**
 * `POST /v1/approvals/:id/beneficiary-presentation` (Travel Rule): the claims are fixed by Sigil; only how the
 * beneficiary's wallet answers may be chosen (`direct_post.jwt` encrypts the disclosed name to Sigil).
 */
export const zBeneficiaryPresentationRequest = z.strictObject({
  responseMode: z.enum(['direct_post', 'direct_post.jwt']).default('direct_post'),
})

export const zPolicyChangeRequest = z.strictObject({
  /** The whole replacement policy set as Cedar text; every policy carries `@id`. */
  policies: z.string().min(1).max(500_000),
  expiresInSeconds: z.number().int().min(60).max(7 * 86_400).default(86_400),
})

const zRequirementView = z.object({
  group: z.string(), quorum: z.number().int(), reasons: z.array(z.string()), missing: z.number().int(),
  approvedBy: z.array(z.object({ userId: z.string(), displayName: z.string() })),
})

/**
 * A condition besides the quorum (Travel Rule: `beneficiary_kyc`) and whether it holds. `verification` links the
 * beneficiary's verified presentation: ids, issuer and a digest of the claims, never the claims themselves.
 * `lastFailure`, while unmet, says why the last beneficiary presentation failed (a reason code such as
 * `beneficiary_name_mismatch`, `nonce_mismatch` or `credential_revoked`).
 */
const zConditionView = z.object({
  kind: z.enum(['beneficiary_kyc']), reasons: z.array(z.string()), met: z.boolean(),
  verification: z.object({ presentationRequestId: z.string(), verifiedAt: z.iso.datetime(), issuer: z.string(), claimsDigest: z.string() }).optional(),
  lastFailure: z.object({ reason: z.string(), at: z.iso.datetime(), presentationRequestId: z.string() }).optional(),
})

/** What `GET /v1/approvals/:id` and the mutating approval calls answer. */
export const zApprovalView = z.object({
  id: z.string(),
  kind: z.enum(['transfer', 'policy-change']),
  status: z.enum(['pending', 'approved', 'rejected', 'blocked', 'expired']),
  summary: z.string(),
  intent: z.record(z.string(), z.unknown()),
  digest: z.string(),
  policyVersion: z.string(),
  requirements: z.array(zRequirementView),
  /** Conditions besides the quorum; the request is approved only when the quorum is met and every one holds. */
  conditions: z.array(zConditionView),
  blocks: z.array(z.object({ code: z.string(), reason: z.string(), policyId: z.string().optional() })),
  separationOfDuties: z.boolean(),
  approvals: z.array(z.object({ userId: z.string(), displayName: z.string(), decision: z.enum(['approve', 'reject']),
    at: z.iso.datetime(), credentialId: z.string() })),
  signer: z.string().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  settledAt: z.iso.datetime().nullable(),
  redeemedAt: z.iso.datetime().nullable(),
  tokenIssued: z.boolean(),
  me: z.object({ eligible: z.boolean(), decided: z.enum(['approve', 'reject']).nullable(), reason: z.string().nullable(),
    /** Whether this person may ask for the beneficiary's presentation now (Travel Rule condition unmet, request pending). */
    canAskBeneficiary: z.boolean() }).optional(),
})

export type ApprovalView = z.output<typeof zApprovalView>
