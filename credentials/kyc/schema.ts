import { z } from 'zod'
import { fail } from '../errors.ts'
import { ISO_3166_ALPHA2 } from './countries.ts'

const zCountry = z.string().refine((c) => ISO_3166_ALPHA2.has(c), 'not an ISO 3166-1 alpha-2 code')
/**
 * Control, format, surrogate, private-use and line/paragraph separator characters, except the zero-width joiner
 * and non-joiner that some scripts' names need (Persian, Indic): a bidi override (U+202E) would show a relying
 * app or a Travel Rule counterparty a reordered name.
 */
const UNSAFE_TEXT = /(?![\u200C\u200D])[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u
const zText = z.string().trim().min(1).max(200)
  .refine((s) => !UNSAFE_TEXT.test(s), 'must not contain control, bidi, invisible, private-use or line-separator characters')
const zBirthdate = z.iso.date().refine((s) => {
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s)
}, 'not a calendar date')

/**
 * KYC subject data as a KYC vendor or compliance officer submits it. Always visible in the credential:
 * `kyc_level`, `trust_framework`, `verification_time`. Each other claim is selectively disclosable on its own,
 * including each `address` field and each `age_equal_or_over` entry.
 */
export const zKycSubject = z.strictObject({
  /** How thorough the check was. */
  kyc_level: z.enum(['basic', 'standard', 'enhanced']),
  /** The rules the check followed (OpenID eKYC-IDA `trust_framework`, e.g. `de_aml`, `eidas`). */
  trust_framework: z.string().regex(/^[a-z0-9_.:-]{1,100}$/i),
  /** When the subject was verified, ISO 8601 with offset. */
  verification_time: z.iso.datetime({ offset: true }),
  given_name: zText.optional(),
  family_name: zText.optional(),
  /** YYYY-MM-DD. */
  birthdate: zBirthdate.optional(),
  nationalities: z.array(zCountry).min(1).max(10).refine((a) => new Set(a).size === a.length, 'duplicate nationality').optional(),
  address: z.strictObject({
    street_address: zText.optional(),
    locality: zText.optional(),
    region: zText.optional(),
    postal_code: z.string().trim().min(1).max(20).optional(),
    country: zCountry.optional(),
  }).optional(),
  /** Computed from `birthdate` and `now` when absent; must agree with `birthdate` when both are given. */
  age_equal_or_over: z.strictObject({ 18: z.boolean().optional(), 21: z.boolean().optional() }).optional(),
  sanctions_screened: z.boolean().optional(),
  pep_screened: z.boolean().optional(),
})

/** KYC subject data, validated. */
export type KycSubject = z.infer<typeof zKycSubject>

/** Full years between `birthdate` (YYYY-MM-DD) and `now`, in UTC; a 29 February birthday counts from 1 March. */
export function ageOn(birthdate: string, now: Date): number {
  const [y, m, d] = birthdate.split('-').map(Number) as [number, number, number]
  const nm = now.getUTCMonth() + 1
  const nd = now.getUTCDate()
  return now.getUTCFullYear() - y - (nm < m || (nm === m && nd < d) ? 1 : 0)
}

/**
 * Validates KYC subject data; the first problem is `kyc_data_invalid` with its path in `field`
 * (`address.country`). Fills `age_equal_or_over` from `birthdate`.
 */
export function parseKycSubject(input: unknown, options: { now: Date }): KycSubject {
  const r = zKycSubject.safeParse(input)
  if (!r.success) {
    const issue = r.error.issues[0]!
    const field = issue.path.map(String).join('.')
    fail('kyc_data_invalid', `${field || '(root)'}: ${issue.message}`, { field })
  }
  const subject = r.data
  if (Date.parse(subject.verification_time) > options.now.getTime()) {
    fail('kyc_data_invalid', 'verification_time is in the future', { field: 'verification_time' })
  }
  if (subject.birthdate === undefined) return subject
  const age = ageOn(subject.birthdate, options.now)
  if (age < 0) fail('kyc_data_invalid', 'birthdate is in the future', { field: 'birthdate' })
  const computed = { 18: age >= 18, 21: age >= 21 }
  for (const k of [18, 21] as const) {
    const given = subject.age_equal_or_over?.[k]
    if (given !== undefined && given !== computed[k]) fail('kyc_data_invalid', `disagrees with birthdate`, { field: `age_equal_or_over.${k}` })
  }
  return { ...subject, age_equal_or_over: computed }
}
