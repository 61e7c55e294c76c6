import { calendarDate, dateTime } from '../format.ts'
import { decodeSdJwt } from '../../../credentials/index.ts'

/** A stored credential, decoded for display (unverified: it is the holder's own copy, checked when received). */

export interface CredentialView {
  issuer: string
  vct: string
  issuedAt: Date | undefined
  expiresAt: Date | undefined
  status: { uri: string; idx: number } | undefined
  /** Flattened claim rows, in reading order (see ORDER): label, value, and the dotted path. */
  rows: { path: string; label: string; value: string }[]
}

const LABELS: Record<string, string> = {
  given_name: 'Given name', family_name: 'Family name', birthdate: 'Date of birth', nationalities: 'Nationalities',
  'address.street_address': 'Street and number', 'address.postal_code': 'Postal code', 'address.locality': 'City or town', 'address.region': 'Region', 'address.country': 'Country',
  kyc_level: 'KYC level', trust_framework: 'Trust framework', verification_time: 'Verified at',
  sanctions_screened: 'Screened against sanctions lists', pep_screened: 'Screened for politically exposed persons (PEP)',
}
/**
 * The order a person reads their credential in, whatever order the issuer's disclosures came in: who they are, then
 * where they live, what the credential proves about their age, the screening results, and how the check was made.
 * A path sorts with its parent (`age_equal_or_over.18` with `age_equal_or_over`); claims not listed come last.
 */
const ORDER = [
  'given_name', 'family_name', 'birthdate', 'nationalities',
  'address.street_address', 'address.postal_code', 'address.locality', 'address.region', 'address.country', 'address',
  'age_equal_or_over', 'sanctions_screened', 'pep_screened',
  'kyc_level', 'trust_framework', 'verification_time',
]

function rank(path: string): number {
  const i = ORDER.findIndex((p) => path === p || path.startsWith(`${p}.`))
  return i === -1 ? ORDER.length : i
}

const TECHNICAL = new Set(['iss', 'iat', 'exp', 'nbf', 'vct', 'cnf', 'status', 'sub', '_sd_alg', 'vct#integrity', 'jti'])

/** Words for a claim path: `age_equal_or_over.18` is “Age 18 or over”. */
export function claimLabel(path: string): string {
  const age = /^age_equal_or_over\.(\d+)$/.exec(path)
  if (age) return `Age ${age[1]} or over`
  return LABELS[path] ?? path.replaceAll('_', ' ').replaceAll('.', ' › ')
}

/** A readable name for an issuer or client id: the host of a URL or of a `did:web` (`did:web:example.com%3A8443` → example.com:8443). */
export function siteOf(id: string): string {
  const did = /did:web:([^:#]+)/.exec(id)
  if (did) return decodeURIComponent(did[1]!)
  try {
    return new URL(id).host || id
  } catch {
    return id
  }
}

function show(v: unknown): string {
  if (v === true) return 'Yes'
  if (v === false) return 'No'
  if (Array.isArray(v)) return v.map(show).join(', ')
  return String(v)
}

/** Dates in words: the verification time with its time of day, the birth date as a calendar date. */
function value(path: string, v: unknown): string {
  if (path === 'verification_time' && typeof v === 'string' && !Number.isNaN(Date.parse(v))) return dateTime(v)
  if (path === 'birthdate' && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v))) return calendarDate(v)
  return show(v)
}

function flatten(prefix: string, v: unknown, out: CredentialView['rows']): void {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, child] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, child, out)
  } else {
    out.push({ path: prefix, label: claimLabel(prefix), value: value(prefix, v) })
  }
}

export async function viewCredential(credential: string): Promise<CredentialView> {
  const d = await decodeSdJwt(credential)
  const p = d.jws.payload
  const rows: CredentialView['rows'] = []
  for (const [k, v] of Object.entries(d.claims)) if (!TECHNICAL.has(k)) flatten(k, v, rows)
  rows.sort((a, b) => rank(a.path) - rank(b.path))
  const seconds = (x: unknown) => (typeof x === 'number' ? new Date(x * 1000) : undefined)
  const list = (p.status as { status_list?: { uri?: unknown; idx?: unknown } } | undefined)?.status_list
  return {
    issuer: String(p.iss ?? ''), vct: String(p.vct ?? ''), issuedAt: seconds(p.iat), expiresAt: seconds(p.exp),
    status: list && typeof list.uri === 'string' && typeof list.idx === 'number' ? { uri: list.uri, idx: list.idx } : undefined,
    rows,
  }
}
