import { decodeBase64url, encodeBase64url } from '../encoding/index.ts'
import { fail } from '../errors.ts'
import { deflate, inflate } from './zlib.ts'

/** Status values (draft-ietf-oauth-status-list §7.1); 3 and 0x0B-0x0F are application-specific. */
export const StatusValue = { VALID: 0, INVALID: 1, SUSPENDED: 2 } as const

/** Bits per status. */
export type StatusBits = 1 | 2 | 4 | 8

/** A status list: `bits` per token, packed least-significant bits first (§4.1). */
export interface StatusList {
  bits: StatusBits
  bytes: Uint8Array
}

/** The `status_list` claim of a status list token: bits and the base64url ZLIB-compressed byte array. */
export interface EncodedStatusList {
  bits: StatusBits
  lst: string
}

const isBits = (b: unknown): b is StatusBits => b === 1 || b === 2 || b === 4 || b === 8

/** A list of `size` statuses, all VALID. */
export function createStatusList(size: number, bits: StatusBits): StatusList {
  if (!Number.isSafeInteger(size) || size <= 0 || !isBits(bits)) fail('options_invalid', 'status list size or bits')
  return { bits, bytes: new Uint8Array(Math.ceil((size * bits) / 8)) }
}

/** How many statuses the list holds. */
export const statusListSize = (list: StatusList): number => (list.bytes.length * 8) / list.bits

/** The status at `idx`; an index outside the list is `status_invalid` (§8.3 step 6). */
export function getStatus(list: StatusList, idx: number): number {
  if (!Number.isSafeInteger(idx) || idx < 0 || idx >= statusListSize(list)) fail('status_invalid', `index ${idx} outside the list`)
  const bit = idx * list.bits
  return (list.bytes[bit >> 3]! >> (bit & 7)) & ((1 << list.bits) - 1)
}

/** Sets the status at `idx` (mutates the list). */
export function setStatus(list: StatusList, idx: number, value: number): void {
  const mask = (1 << list.bits) - 1
  if (!Number.isInteger(value) || value < 0 || value > mask) fail('options_invalid', `status ${value} does not fit ${list.bits} bits`)
  if (!Number.isSafeInteger(idx) || idx < 0 || idx >= statusListSize(list)) fail('status_invalid', `index ${idx} outside the list`)
  const bit = idx * list.bits
  const shift = bit & 7
  list.bytes[bit >> 3] = (list.bytes[bit >> 3]! & ~(mask << shift)) | (value << shift)
}

/** Compresses a list into the `status_list` claim. */
export async function encodeStatusList(list: StatusList): Promise<EncodedStatusList> {
  return { bits: list.bits, lst: encodeBase64url(await deflate(list.bytes)) }
}

/** Decodes a `status_list` claim; a malformed one is `status_list_invalid`. */
export async function decodeStatusList(encoded: { bits: unknown; lst: unknown }, maxBytes?: number): Promise<StatusList> {
  if (!isBits(encoded.bits) || typeof encoded.lst !== 'string') fail('status_list_invalid', 'status_list needs bits 1/2/4/8 and lst')
  const bytes = await inflate(decodeBase64url(encoded.lst, 'status_list_invalid'), maxBytes)
  if (bytes.length === 0) fail('status_list_invalid', 'empty status list')
  return { bits: encoded.bits, bytes }
}
