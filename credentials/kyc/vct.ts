import type { ClaimPath } from '../sdjwt/index.ts'

/**
 * The KYC credential type of an issuer: `${issuerUrl}/credentials/kyc/v1`. An https `vct` that resolves
 * (SD-JWT VC draft §6.3.1); the server serves kycTypeMetadata there. `v1` changes only with the claim set.
 */
export function kycVct(issuerUrl: string): string {
  return `${issuerUrl.replace(/\/+$/, '')}/credentials/kyc/v1`
}

/** The claims always visible in a KYC credential (besides iss, vct, iat, exp, cnf, status). */
export const KYC_VISIBLE_CLAIMS = ['kyc_level', 'trust_framework', 'verification_time'] as const

/** Every selectively disclosable claim of a KYC credential, each disclosable on its own. */
export const KYC_DISCLOSABLE_PATHS: readonly ClaimPath[] = [
  ['given_name'], ['family_name'], ['birthdate'], ['nationalities'],
  ['address', 'street_address'], ['address', 'locality'], ['address', 'region'], ['address', 'postal_code'], ['address', 'country'],
  ['age_equal_or_over', '18'], ['age_equal_or_over', '21'],
  ['sanctions_screened'], ['pep_screened'],
]

const LABELS: Record<string, string> = {
  kyc_level: 'KYC level', trust_framework: 'Trust framework', verification_time: 'Verified at',
  given_name: 'Given name', family_name: 'Family name', birthdate: 'Date of birth', nationalities: 'Nationalities',
  address: 'Address', 'address.street_address': 'Street address', 'address.locality': 'City', 'address.region': 'Region',
  'address.postal_code': 'Postal code', 'address.country': 'Country',
  age_equal_or_over: 'Age', 'age_equal_or_over.18': 'Aged 18 or over', 'age_equal_or_over.21': 'Aged 21 or over',
  sanctions_screened: 'Screened against sanctions lists', pep_screened: 'Screened for politically exposed persons',
}

/** An SD-JWT VC type metadata document (draft §6.2), as served at the vct URL. */
export interface KycTypeMetadata {
  vct: string
  name: string
  description: string
  display: { locale: string; name: string; description: string }[]
  claims: { path: (string | null)[]; display: { locale: string; label: string }[]; sd: 'always' | 'never' | 'allowed' }[]
}

/**
 * The type metadata of the KYC credential: display names and, per claim, its label and whether it is
 * selectively disclosable (`sd: always`) or always visible (`sd: never`).
 */
export function kycTypeMetadata(issuerUrl: string): KycTypeMetadata {
  const claim = (path: ClaimPath, sd: 'always' | 'never') => ({
    path: path.map(String),
    display: [{ locale: 'en-US', label: LABELS[path.join('.')] ?? path.join('.') }],
    sd,
  })
  return {
    vct: kycVct(issuerUrl),
    name: 'Sigil KYC credential',
    description: 'Minimal-disclosure KYC attestation: the holder shows only the claims a relying party needs.',
    display: [{ locale: 'en-US', name: 'KYC credential', description: 'Identity verified by a regulated KYC process' }],
    claims: [
      ...KYC_VISIBLE_CLAIMS.map((c) => claim([c], 'never')),
      ...KYC_DISCLOSABLE_PATHS.map((p) => claim(p, 'always')),
    ],
  }
}
