import { decodeBase64url, encodeBase64url } from '../encoding/index.ts'
import { fail } from '../errors.ts'

// NIST P-256 (SEC 2 §2.4.2): y² = x³ − 3x + b over GF(p). p ≡ 3 (mod 4), so √a = a^((p+1)/4).
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn

const toBigInt = (bytes: Uint8Array): bigint => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n)
const toBytes32 = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32)
  for (let i = 31; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
}
const modPow = (base: bigint, exp: bigint, mod: bigint): bigint => {
  let result = 1n
  base %= mod
  for (; exp > 0n; exp >>= 1n, base = (base * base) % mod) if (exp & 1n) result = (result * base) % mod
  return result
}

/** SEC 1 §2.3.3 compressed form (0x02/0x03 ‖ x) of a P-256 JWK's point, as did:key encodes it. */
export function compressP256(x: string, y: string): Uint8Array {
  const xb = decodeBase64url(x, 'key_invalid')
  const yb = decodeBase64url(y, 'key_invalid')
  if (xb.length !== 32 || yb.length !== 32) fail('key_invalid', 'P-256 coordinates must be 32 bytes')
  const out = new Uint8Array(33)
  out[0] = 2 + (yb[31]! & 1)
  out.set(xb, 1)
  return out
}

/** SEC 1 §2.3.4: recovers y from a compressed P-256 point; a point off the curve is `did_invalid`. */
export function decompressP256(point: Uint8Array): { x: string; y: string } {
  if (point.length !== 33 || (point[0] !== 2 && point[0] !== 3)) fail('did_invalid', 'not a compressed P-256 point')
  const x = toBigInt(point.subarray(1))
  if (x >= P) fail('did_invalid', 'x outside the field')
  const rhs = ((x * x % P) * x - 3n * x + B) % P
  const a = (rhs + P) % P
  let y = modPow(a, (P + 1n) / 4n, P)
  if ((y * y) % P !== a) fail('did_invalid', 'point not on P-256')
  if (Number(y & 1n) !== (point[0]! & 1)) y = P - y
  return { x: encodeBase64url(point.subarray(1)), y: encodeBase64url(toBytes32(y)) }
}
