import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { ProblemError } from '../errors.ts'
import type { TransactionIntent } from './wire.ts'

/**
 * The intent's canonical bytes: the UTF-8 of its RFC 8785 (JCS) serialisation. Members that are
 * `undefined` are left out, as JSON would, so an intent and its JSON round trip give the same bytes.
 */
export function canonicalIntent(intent: TransactionIntent): Uint8Array {
  let json: string | undefined
  try {
    json = canonicalize(intent)
  } catch {
    json = undefined // lone surrogates, cycles: nothing zTransactionIntent lets through
  }
  if (json === undefined) throw new ProblemError('intent_invalid', 400, { detail: 'The intent cannot be serialised as JSON (RFC 8785).' })
  return new TextEncoder().encode(json)
}

/** `sha256:<hex>` of {@link canonicalIntent}: what approvals, tokens and evidence bind to. */
export function intentDigest(intent: TransactionIntent): string {
  return digestOf(canonicalIntent(intent))
}

/** `sha256:<hex>` of bytes, in the form {@link intentDigest} returns. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** A symbol slug is shown upper-case (ETH); a contract address is shown as is. */
const assetLabel = (asset: string): string => (/^[a-z0-9][a-z0-9._-]{0,31}$/.test(asset) && asset.length <= 12 ? asset.toUpperCase() : asset)

/**
 * The intent in words for the approval page, e.g. `Send 1.5 ETH on ethereum from wallet hot-1 to 0x5290…`.
 * The destination is shown in full, never shortened: address-poisoning attacks rely on look-alike
 * addresses whose first and last characters match.
 */
/**
 * Text the requester chose, between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (Unicode bidi isolates): a
 * right-to-left name or memo then cannot reorder the amount and words around it where the summary is shown.
 */
const isolate = (s: string): string => `\u2068${s}\u2069`

export function describeIntent(intent: TransactionIntent): string {
  const from = intent.source.accountId === undefined
    ? `wallet ${intent.source.walletId}`
    : `account ${intent.source.accountId} of wallet ${intent.source.walletId}`
  const parts = [`Send ${intent.amount} ${assetLabel(intent.asset)} on ${intent.chain} from ${from} to ${intent.destination}`]
  const b = intent.beneficiary
  if (b) {
    const who = [b.name && isolate(b.name), b.accountRef && `account ${isolate(b.accountRef)}`, b.vasp && `at ${isolate(b.vasp)}`,
      b.country && `(${b.country})`].filter(Boolean).join(' ')
    parts.push(`beneficiary: ${who}`)
  }
  if (intent.memo !== undefined) parts.push(`memo: ${isolate(intent.memo)}`)
  return parts.join('; ')
}
