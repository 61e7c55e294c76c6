import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { BlockList, isIP } from 'node:net'

/** Loopback receivers (allowed in development) may use http; every other receiver needs https. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Addresses that are not on the public internet (IANA special-purpose registries): a receiver there is inside the
 * operator's network, which a `webhook-admin` key must not be able to reach through Sigil (SSRF: cloud metadata at
 * 169.254.169.254, admin ports of internal hosts) unless the operator says so (`SIGIL_WEBHOOK_ALLOW_PRIVATE`).
 * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) match the IPv4 ranges (Node's BlockList does that).
 */
const NOT_PUBLIC = new BlockList()
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv4')
// Unspecified, loopback, NAT64 and 6to4 (both embed an IPv4 address that may be private), discard, documentation,
// unique local, link-local, site-local, multicast.
for (const [net, bits] of [['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv6')
const LOOPBACK_NETS = new BlockList()
LOOPBACK_NETS.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK_NETS.addAddress('::1', 'ipv6')

const familyOf = (address: string): 'ipv4' | 'ipv6' => isIP(address) === 6 ? 'ipv6' : 'ipv4'
/** True for an address on the public internet. */
export const isPublicAddress = (address: string): boolean => isIP(address) !== 0 && !NOT_PUBLIC.check(address, familyOf(address))
const isLoopback = (address: string): boolean => isIP(address) !== 0 && LOOPBACK_NETS.check(address, familyOf(address))
/** A URL's hostname as an IP address (without IPv6 brackets), or undefined for a name. */
const literalOf = (hostname: string): string | undefined => {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return isIP(bare) === 0 ? undefined : bare
}

/**
 * Why a receiver at this host may not be called, or undefined when it may: loopback named as such (`localhost`,
 * `127.0.0.1`, `[::1]`) is allowed, as for http; any other address that is not public only when `allowPrivate`.
 * For a host name, `addresses` are what it resolved to: every one must pass (one private answer among public ones
 * is how DNS rebinding gets in).
 */
export function receiverAddressProblem(hostname: string, addresses: readonly string[], allowPrivate: boolean, allowLoopback = allowPrivate): string | undefined {
  if (allowPrivate) return undefined
  const named = allowLoopback && LOOPBACK.has(hostname.toLowerCase())
  for (const a of addresses) {
    if (isPublicAddress(a) || (named && isLoopback(a))) continue
    return LOOPBACK.has(hostname.toLowerCase()) && isLoopback(a)
      ? 'is this machine (loopback receivers only in development, or with SIGIL_WEBHOOK_ALLOW_PRIVATE=true)'
      : 'is not a public address (receivers inside the network need SIGIL_WEBHOOK_ALLOW_PRIVATE=true)'
  }
  return undefined
}

/**
 * Why a receiver URL is refused, or undefined when it is fine: https (or loopback http, or http when the
 * operator allows it), no credentials in it, no fragment, and not an IP address inside the network unless the
 * operator allows it (a host name is checked when a delivery connects, by `publicOnlyLookup`).
 */
export function webhookUrlProblem(raw: string, allowHttp: boolean, allowPrivate = false, allowLoopback = true): string | undefined {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return 'not an absolute URL'
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must use https'
  if (u.protocol === 'http:' && !allowHttp && !LOOPBACK.has(u.hostname)) return 'must use https (http only for loopback receivers)'
  if (u.username || u.password) return 'must not carry credentials; the signature authenticates Sigil'
  if (u.hash) return 'must not have a fragment'
  const problem = knownHostProblem(u.hostname, allowPrivate, allowLoopback)
  return problem && `host ${problem}`
}

/**
 * The address check for a host known without DNS: an IP literal, or `localhost` (loopback by definition); undefined
 * for any other name, which `publicOnlyLookup` checks when a delivery connects.
 */
function knownHostProblem(hostname: string, allowPrivate: boolean, allowLoopback: boolean): string | undefined {
  const literal = literalOf(hostname) ?? (hostname === 'localhost' ? '127.0.0.1' : undefined)
  return literal === undefined ? undefined : receiverAddressProblem(hostname, [literal], allowPrivate, allowLoopback)
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void

/** The error a delivery fails with when its receiver's address is refused. */
export class ReceiverAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_ADDRESS_NOT_PUBLIC'
}

/**
 * A `lookup` for the delivery connections (net/tls `connect`): resolves every address of the host and refuses
 * the connection when one is not public (see `receiverAddressProblem`). The check is made on the addresses the
 * socket will use, at each connection, so a name that resolved to a public address at registration and to an
 * internal one later is still refused. IP literals never reach a lookup: the dispatcher checks them itself.
 */
export function publicOnlyLookup(allowPrivate: boolean, base: LookupFunction = dnsLookup as unknown as LookupFunction, allowLoopback = allowPrivate): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, '')
      const list = found as LookupAddress[]
      const problem = list.length === 0 ? 'has no address' : receiverAddressProblem(hostname, list.map((a) => a.address), allowPrivate, allowLoopback)
      if (problem) return callback(new ReceiverAddressError(`receiver host ${problem}`), '')
      if (options.all) callback(null, list)
      else callback(null, list[0]!.address, list[0]!.family)
    })
  }
}

/** Why a delivery to this URL may not be made before any connection (an IP literal, localhost), or undefined. */
export function receiverLiteralProblem(raw: string, allowPrivate: boolean, allowLoopback = allowPrivate): string | undefined {
  const problem = knownHostProblem(new URL(raw).hostname, allowPrivate, allowLoopback)
  return problem && `receiver host ${problem}`
}
