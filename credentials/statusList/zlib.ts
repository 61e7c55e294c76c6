import { fail } from '../errors.ts'

/**
 * ZLIB (RFC 1950) with the streams every browser and Node ≥ 18 have: CompressionStream('deflate') is ZLIB, which
 * is what the status list's `lst` holds (draft-ietf-oauth-status-list §4.1). No pako, no Buffer.
 */
async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, maxBytes: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter()
  // Not awaited: the readable side must be drained concurrently. Failures surface through read().
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {})
  writer.close().catch(() => {})
  const reader = stream.readable.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      fail('status_list_invalid', `status list larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** ZLIB-compresses `bytes`. */
export const deflate = (bytes: Uint8Array): Promise<Uint8Array> => pipe(bytes, new CompressionStream('deflate'), Number.MAX_SAFE_INTEGER)

/**
 * Inflates ZLIB data; corrupt input, or output past `maxBytes` (a decompression bomb), is `status_list_invalid`.
 */
export async function inflate(bytes: Uint8Array, maxBytes = 16 * 1024 * 1024): Promise<Uint8Array> {
  try {
    return await pipe(bytes, new DecompressionStream('deflate'), maxBytes)
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'status_list_invalid') throw cause
    fail('status_list_invalid', 'lst is not valid ZLIB data', { cause })
  }
}
