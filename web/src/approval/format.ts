import type { ApprovalStatus, TransactionIntent } from '../api.ts'

/**
 * Words and numbers for approval requests. Amounts stay decimal strings from end to end: a float would round
 * 0.1 + 0.2 or a wei-precise amount, and what the approver reads must be exactly what gets signed.
 */

/** A symbol slug is shown upper-case (ETH); a token contract or mint address is shown as is (as the server does). */
export function assetLabel(asset: string): string {
  return /^[a-z0-9][a-z0-9._-]{0,31}$/.test(asset) && asset.length <= 12 ? asset.toUpperCase() : asset
}

const CHAINS: Record<string, string> = {
  ethereum: 'Ethereum', sepolia: 'Sepolia (Ethereum testnet)', polygon: 'Polygon', arbitrum: 'Arbitrum', optimism: 'Optimism',
  base: 'Base', avalanche: 'Avalanche C-Chain', bsc: 'BNB Smart Chain', bitcoin: 'Bitcoin', 'bitcoin-testnet': 'Bitcoin testnet', solana: 'Solana',
}

export function chainLabel(chain: string): string {
  return CHAINS[chain] ?? chain
}

/** "1250000.5" → "1,250,000.5" in the reader's locale, digit for digit: the fraction is never rounded. */
export function groupedAmount(amount: string): string {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount)
  if (!m) return amount
  const decimal = new Intl.NumberFormat().formatToParts(0.5).find((p) => p.type === 'decimal')?.value ?? '.'
  const int = new Intl.NumberFormat(undefined, { useGrouping: true }).format(BigInt(m[1]!))
  return m[2] ? `${int}${decimal}${m[2]}` : int
}

export function sourceLabel(source: TransactionIntent['source']): string {
  return source.accountId ? `Account ${source.accountId} of wallet ${source.walletId}` : `Wallet ${source.walletId}`
}

/**
 * The address in groups of four, to make comparing it character by character easier. Only the layout is
 * grouped: the groups are spans with no spaces between them, so copying or reading the text gives the
 * address unchanged. An 0x prefix stands on its own.
 */
export function addressGroups(address: string): string[] {
  const prefix = /^0x/i.test(address) ? address.slice(0, 2) : ''
  const rest = address.slice(prefix.length)
  const groups = rest.match(/.{1,4}/gu) ?? []
  return prefix ? [prefix, ...groups] : groups
}

export interface StatusMeta { label: string; badge: string }

export const STATUS: Record<ApprovalStatus, StatusMeta> = {
  pending: { label: 'Awaiting approval', badge: 'badge badge-accent' },
  approved: { label: 'Approved', badge: 'badge badge-success' },
  rejected: { label: 'Rejected', badge: 'badge badge-danger' },
  blocked: { label: 'Blocked by policy', badge: 'badge badge-danger' },
  expired: { label: 'Expired', badge: 'badge' },
}

/** "14:05 left", "2 h 10 min left", or null once past. */
export function timeLeft(expiresAt: string, now = Date.now()): string | null {
  const s = Math.floor((new Date(expiresAt).getTime() - now) / 1000)
  if (s <= 0) return null
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')} left`
  const hours = Math.floor(s / 3600)
  if (hours < 48) return `${hours} h ${Math.floor((s % 3600) / 60)} min left`
  return `${Math.floor(hours / 24)} days left`
}

/** Spoken form of {@link timeLeft}, for screen readers (which read "14:05" as a time of day). */
export function timeLeftWords(expiresAt: string, now = Date.now()): string {
  const s = Math.floor((new Date(expiresAt).getTime() - now) / 1000)
  if (s <= 0) return 'expired'
  const m = Math.ceil(s / 60)
  if (m < 60) return `${m} ${m === 1 ? 'minute' : 'minutes'} left`
  const hours = Math.floor(m / 60)
  return `${hours} ${hours === 1 ? 'hour' : 'hours'} ${m % 60} minutes left`
}
