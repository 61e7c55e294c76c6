import type { Context } from '@cedar-policy/cedar-wasm/nodejs'
import type { CedarRequest, TransferForm, TransferPlan } from './cedar.ts'
import { cedarUnits, decimalText, parseAmount } from './amount.ts'
import { PolicyError } from './errors.ts'
import { DEFAULT_TIME_ZONE, timeOfDay } from './localTime.ts'
import { variantIndex } from './specialize.ts'

/**
 * The transaction fields policies read. Structural, so server/approvals' parsed `TransactionIntent`
 * is accepted as is without policies/ importing server/.
 */
export interface ApprovalIntent {
  chain: string
  asset: string
  /** Decimal string in the asset's whole units, up to 18 fractional digits. */
  amount: string
  source: { walletId: string; accountId?: string | undefined }
  destination: string
}

/** Who creates a request: a wallet backend (API client) or a signed-in user. */
export interface Requester {
  type: 'apiClient' | 'user'
  id: string
}

/** What {@link PolicyEngine.evaluateApproval} needs besides the intent: all of it computed by the caller. */
export interface ApprovalInput {
  intent: ApprovalIntent
  requester: Requester
  /** The decision time; policies see its hour and weekday in UTC and in the set's time zone (`@timeZone`). */
  now: Date
  /** What this wallet already had approved for this asset in the last 24 hours (decimal string); default "0". */
  approvedLast24h?: string
  /**
   * What this wallet's other requests for this asset still awaiting a decision reserve (decimal string); default
   * "0". Counted in the day's total with the approved amount, so that several requests opened before any is
   * approved cannot each stay under a daily limit.
   */
  pendingTotal?: string
  /** Whether the destination is on the source wallet's allowlist (address book); default false. */
  destinationAllowlisted?: boolean
  /**
   * Whether the beneficiary presented a verified KYC credential for this request (Travel Rule); default false.
   * False when the request is created; true when the request is re-evaluated after such a presentation.
   */
  beneficiaryVerified?: boolean
}

/** An EVM-style address in any spelling the wire accepts for some chain: `0x`/`0X` prefix or none. */
const EVM_LIKE = /^(?:0[xX])?[0-9a-fA-F]{40}$/

/** An EVM-style address (a destination, a token contract) as `0x` + lower-case hex; anything else as given. */
export function canonicalEvm(value: string): string {
  return EVM_LIKE.test(value) ? `0x${value.slice(-40).toLowerCase()}` : value
}
/** A bech32/bech32m address (Bitcoin, Litecoin and their test networks); the encoding allows one case only. */
const BECH32 = /^(?:bc|tb|bcrt|ltc|tltc)1[0-9a-z]{6,90}$/i

/**
 * The one spelling of a destination that policies compare against: EVM-style addresses in lower case with `0x`,
 * bech32 in lower case, anything else as given. A deny list must not be passed by writing the same address
 * another way.
 */
export function canonicalDestination(destination: string): string {
  return BECH32.test(destination) ? destination.toLowerCase() : canonicalEvm(destination)
}
const SAFE_UNITS = BigInt(Number.MAX_SAFE_INTEGER)

/** The attributes in `keys`, added in one order, so every context has the same shape (cheaper for cedar-wasm to read). */
function only(full: Context, keys: ReadonlySet<string>): Context {
  const out: Context = {}
  for (const k of keys) if (Object.hasOwn(full, k)) out[k] = full[k]!
  return out
}

/** The attributes a fast form reads, under the names it reads them by. */
function renamed(full: Context, pass: TransferForm['pass']): Context {
  const out: Context = {}
  for (const [from, to] of pass) if (Object.hasOwn(full, from)) out[to] = full[from]!
  return out
}

const decimalOf = (units4: bigint) => ({ __extn: { fn: 'decimal', arg: decimalText(units4) } })

function str(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw new PolicyError('policy_request_invalid', `${name} must be a non-empty string`)
  return value
}

/** Options of {@link transferRequest}. */
export interface TransferRequestOptions {
  /** The engine's fast forms; absent, the whole context goes to the policies as written. */
  plan?: TransferPlan
  /** The zone of `hourLocal`/`weekdayLocal` (the compiled set's `timeZone`); default UTC. */
  timeZone?: string
}

/**
 * Builds the Cedar request for action CreateTransfer, checking the type of every input itself so Cedar
 * need not re-validate the request against the schema (see `CedarRequest.shapeChecked`). Hex (EVM)
 * addresses and contract assets are lower-cased, so deny lists match whatever checksum casing the intent
 * used. Amounts become Cedar decimals rounded up (see `cedarUnits`); the 24-hour total is summed exactly
 * here because Cedar decimals cannot be added. Throws PolicyError (`policy_request_invalid`,
 * `amount_invalid`, `amount_out_of_range`); the caller denies.
 *
 * With a `plan` (the engine's, see specialize.ts) the context holds only the attributes the policies read, and
 * amounts go as Longs of 1/10 000ths to the rewritten policies when a JS number holds them exactly (below about
 * 9 × 10^11 whole units); larger amounts go as decimals to the policies as written. Without one it is the whole
 * context as the schema declares it: the reference the tests compare the fast form with.
 */
export function transferRequest(input: ApprovalInput, opts: TransferRequestOptions = {}): CedarRequest {
  const { intent, now, requester } = input
  const { plan } = opts
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new PolicyError('policy_request_invalid', 'now must be a valid Date')
  const time = timeOfDay(now, opts.timeZone ?? DEFAULT_TIME_ZONE)
  if (requester?.type !== 'user' && requester?.type !== 'apiClient') throw new PolicyError('policy_request_invalid', 'requester.type must be user or apiClient')
  const allowlisted = input.destinationAllowlisted ?? false
  if (typeof allowlisted !== 'boolean') throw new PolicyError('policy_request_invalid', 'destinationAllowlisted must be a boolean')
  const beneficiaryVerified = input.beneficiaryVerified ?? false
  if (typeof beneficiaryVerified !== 'boolean') throw new PolicyError('policy_request_invalid', 'beneficiaryVerified must be a boolean')
  const asset = str(intent.asset, 'asset')
  const destination = str(intent.destination, 'destination')
  const exact = parseAmount(intent.amount)
  const amount = cedarUnits(exact)
  const dayTotal = cedarUnits(exact + parseAmount(input.approvedLast24h ?? '0') + parseAmount(input.pendingTotal ?? '0'))
  const wallet = { type: 'Sigil::Wallet', id: str(intent.source?.walletId, 'source.walletId') }
  const account = intent.source.accountId === undefined ? undefined : { type: 'Sigil::Account', id: str(intent.source.accountId, 'source.accountId') }
  const long = amount <= SAFE_UNITS && dayTotal <= SAFE_UNITS ? plan?.long : undefined
  const full: Context = {
    chain: str(intent.chain, 'chain'),
    asset: canonicalEvm(asset),
    // Set below, once it is known whether a fast form takes them (as Longs) or the texts do (as decimals).
    amount: 0,
    dayTotal: 0,
    destination: canonicalDestination(destination),
    destinationAllowlisted: allowlisted,
    beneficiaryVerified,
    hourUtc: time.hourUtc,
    weekdayUtc: time.weekdayUtc,
    hourLocal: time.hourLocal,
    weekdayLocal: time.weekdayLocal,
  }
  let form: TransferForm | undefined
  if (long) {
    const key = long.attribute === undefined ? undefined : full[long.attribute]
    const forms = (typeof key === 'string' ? long.byValue.get(key) : undefined) ?? long.other
    form = forms.variants[variantIndex(forms.facts, full)]
  }
  // Longs go only with the form they were made for; without one, the policies as written get decimals.
  full.amount = form ? Number(amount) : decimalOf(amount)
  full.dayTotal = form ? Number(dayTotal) : decimalOf(dayTotal)
  const reads = plan?.reads ?? 'all'
  return {
    principal: { type: requester.type === 'user' ? 'Sigil::User' : 'Sigil::ApiClient', id: str(requester.id, 'requester.id') },
    action: 'CreateTransfer',
    resource: account ?? wallet,
    shapeChecked: true,
    policySetId: form?.policySetId,
    context: form ? renamed(full, form.pass) : reads === 'all' ? full : only(full, reads),
    // An account belongs to its wallet, so `resource in Sigil::Wallet::"w"` matches transfers from its accounts.
    entities: account ? [{ uid: account, attrs: {}, parents: [wallet] }] : [],
  }
}
