import type { CedarRequest } from './cedar.ts'
import { cedarDecimal, parseAmount } from './amount.ts'
import { PolicyError } from './errors.ts'

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
  /** The decision time; policies see its UTC hour and weekday. */
  now: Date
  /** What this wallet already had approved for this asset in the last 24 hours (decimal string); default "0". */
  approvedLast24h?: string
  /** Whether the destination is on the source wallet's allowlist (address book); default false. */
  destinationAllowlisted?: boolean
  /**
   * Whether the beneficiary presented a verified KYC credential for this request (Travel Rule); default false.
   * False when the request is created; true when the request is re-evaluated after such a presentation.
   */
  beneficiaryVerified?: boolean
}

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/

function str(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw new PolicyError('policy_request_invalid', `${name} must be a non-empty string`)
  return value
}

/**
 * Builds the Cedar request for action CreateTransfer, checking the type of every input itself so Cedar
 * need not re-validate the request against the schema (see `CedarRequest.shapeChecked`). Hex (EVM)
 * addresses and contract assets are lower-cased, so deny lists match whatever checksum casing the intent
 * used. Amounts become Cedar decimals rounded up (see `cedarDecimal`); the 24-hour total is summed exactly
 * here because Cedar decimals cannot be added. Throws PolicyError (`policy_request_invalid`,
 * `amount_invalid`, `amount_out_of_range`); the caller denies.
 */
export function transferRequest(input: ApprovalInput): CedarRequest {
  const { intent, now, requester } = input
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new PolicyError('policy_request_invalid', 'now must be a valid Date')
  if (requester?.type !== 'user' && requester?.type !== 'apiClient') throw new PolicyError('policy_request_invalid', 'requester.type must be user or apiClient')
  const allowlisted = input.destinationAllowlisted ?? false
  if (typeof allowlisted !== 'boolean') throw new PolicyError('policy_request_invalid', 'destinationAllowlisted must be a boolean')
  const beneficiaryVerified = input.beneficiaryVerified ?? false
  if (typeof beneficiaryVerified !== 'boolean') throw new PolicyError('policy_request_invalid', 'beneficiaryVerified must be a boolean')
  const asset = str(intent.asset, 'asset')
  const destination = str(intent.destination, 'destination')
  const amount = parseAmount(intent.amount)
  const dayTotal = amount + parseAmount(input.approvedLast24h ?? '0')
  const wallet = { type: 'Sigil::Wallet', id: str(intent.source?.walletId, 'source.walletId') }
  const account = intent.source.accountId === undefined ? undefined : { type: 'Sigil::Account', id: str(intent.source.accountId, 'source.accountId') }
  return {
    principal: { type: requester.type === 'user' ? 'Sigil::User' : 'Sigil::ApiClient', id: str(requester.id, 'requester.id') },
    action: 'CreateTransfer',
    resource: account ?? wallet,
    shapeChecked: true,
    context: {
      chain: str(intent.chain, 'chain'),
      asset: EVM_ADDRESS.test(asset) ? asset.toLowerCase() : asset,
      amount: { __extn: { fn: 'decimal', arg: cedarDecimal(amount) } },
      dayTotal: { __extn: { fn: 'decimal', arg: cedarDecimal(dayTotal) } },
      destination: EVM_ADDRESS.test(destination) ? destination.toLowerCase() : destination,
      destinationAllowlisted: allowlisted,
      beneficiaryVerified,
      hourUtc: now.getUTCHours(),
      weekdayUtc: now.getUTCDay(),
    },
    // An account belongs to its wallet, so `resource in Sigil::Wallet::"w"` matches transfers from its accounts.
    entities: account ? [{ uid: account, attrs: {}, parents: [wallet] }] : [],
  }
}
