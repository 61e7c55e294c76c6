import { constants, createHash, createPublicKey, verify as nodeVerify, webcrypto, type JsonWebKey, type KeyObject } from 'node:crypto'
import { fillRandom } from '../random.ts'

/**
 * The WebCrypto that @simplewebauthn/server verifies with, backed by node:crypto's own calls.
 *
 * SimpleWebAuthn does every ceremony check itself and reaches the runtime's WebCrypto only for digests, public-key
 * import and signature verification. Node's WebCrypto runs `digest` and `verify` as jobs on the libuv thread pool
 * through a heavy JavaScript layer: one assertion cost about 390 µs of CPU that way against about 125 µs with
 * node:crypto (figures in docs/performance-history.md). Both are the same OpenSSL underneath. So this object answers
 * `digest` and `importKey` synchronously (a settled promise), and `verify` with node:crypto's `verify` given a
 * callback: that also runs on the thread pool, but costs the event loop about 7 µs instead of the 50 µs of a
 * synchronous P-256 verification (`npm run bench:crypto`), and the arithmetic goes to the other core. Every other
 * call, algorithm or key format goes to Node's own WebCrypto unchanged.
 *
 * Imported keys are cached (by their JWK and algorithm): a passkey's public key is imported on every sign-in.
 * The answers match Node's WebCrypto on valid and invalid signatures, wrong lengths and mismatched algorithms
 * (webCrypto.test.ts compares the two).
 */

type Algorithm = string | { name: string; hash?: string | { name: string }; namedCurve?: string; saltLength?: number }
type Data = ArrayBuffer | ArrayBufferView

const HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }
/** Coordinate lengths in bytes: a JWK with another length is left to Node's WebCrypto (which refuses it). */
const CURVES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }
const b64Length = (v: unknown): number => typeof v === 'string' && /^[A-Za-z0-9_-]*$/.test(v) ? Buffer.from(v, 'base64url').length : -1
const nameOf = (a: Algorithm): string => typeof a === 'string' ? a : a.name
const hashOf = (a: Algorithm): string | undefined => {
  if (typeof a === 'string' || a.hash === undefined) return undefined
  return HASHES[(typeof a.hash === 'string' ? a.hash : a.hash.name).toUpperCase()]
}
const bytes = (d: Data): Uint8Array => d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength)

/** A public key imported here, for `verify` here only (never handed to Node's WebCrypto). */
class NodeVerifyKey {
  readonly type = 'public'
  readonly extractable = false
  readonly usages = ['verify']
  constructor(readonly algorithm: { name: string; hash?: string; namedCurve?: string }, readonly keyObject: KeyObject) { Object.freeze(this) }
}

const KEY_CACHE_MAX = 10_000

export interface NodeWebCrypto {
  getRandomValues: Crypto['getRandomValues']
  randomUUID: Crypto['randomUUID']
  subtle: {
    digest(algorithm: Algorithm, data: Data): Promise<ArrayBuffer>
    importKey(format: string, keyData: unknown, algorithm: Algorithm, extractable: boolean, usages: string[]): Promise<unknown>
    verify(algorithm: Algorithm, key: unknown, signature: Data, data: Data): Promise<boolean>
  }
  /** Calls answered here rather than by Node's WebCrypto, by operation (tests and benches read it). */
  readonly answered: { digest: number; importKey: number; verify: number }
}

export function nodeWebCrypto(base: Crypto = webcrypto as Crypto): NodeWebCrypto {
  const keys = new Map<string, NodeVerifyKey>()
  const answered = { digest: 0, importKey: 0, verify: 0 }
  const subtle = base.subtle as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>

  /** The key for a JWK Node's WebCrypto would import for verifying, or undefined to let it decide (and fail). */
  const importJwk = (jwk: Record<string, unknown>, algorithm: Algorithm): NodeVerifyKey | undefined => {
    const name = nameOf(algorithm)
    const hash = hashOf(algorithm)
    const curve = typeof algorithm === 'string' ? undefined : algorithm.namedCurve
    let fits: boolean
    if (name === 'ECDSA') {
      const size = typeof curve === 'string' ? CURVES[curve] : undefined
      fits = jwk.kty === 'EC' && size !== undefined && jwk.crv === curve && b64Length(jwk.x) === size && b64Length(jwk.y) === size
    } else if (name === 'Ed25519') fits = jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && b64Length(jwk.x) === 32
    else if (name === 'RSASSA-PKCS1-v1_5' || name === 'RSA-PSS') fits = jwk.kty === 'RSA' && hash !== undefined
    else fits = false
    // Private material, or anything unusual, goes to Node's WebCrypto, which knows every rule of importKey.
    if (!fits || 'd' in jwk || (jwk.use !== undefined && jwk.use !== 'sig') || jwk.key_ops !== undefined) return undefined
    const cacheKey = JSON.stringify([name, hash, curve, jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e, jwk.alg])
    const cached = keys.get(cacheKey)
    if (cached) return cached
    let keyObject: KeyObject
    try {
      keyObject = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, n: jwk.n, e: jwk.e } as JsonWebKey, format: 'jwk' })
    } catch {
      return undefined
    }
    const key = new NodeVerifyKey({ name, ...(hash ? { hash } : {}), ...(curve ? { namedCurve: curve } : {}) }, keyObject)
    if (keys.size >= KEY_CACHE_MAX) keys.delete(keys.keys().next().value!)
    keys.set(cacheKey, key)
    return key
  }

  return {
    answered,
    // Challenges: from the pooled CSPRNG (random.ts); other array types and sizes get WebCrypto's own answer (errors included).
    getRandomValues: ((array: ArrayBufferView | null) => array instanceof Uint8Array && array.byteLength <= 65_536
      ? fillRandom(array) : base.getRandomValues(array as never)) as Crypto['getRandomValues'],
    randomUUID: base.randomUUID.bind(base),
    subtle: {
      digest(algorithm, data) {
        const hash = HASHES[nameOf(algorithm).toUpperCase()]
        if (!hash) return subtle.digest!(algorithm, data) as Promise<ArrayBuffer>
        answered.digest++
        const out = createHash(hash).update(bytes(data)).digest()
        return Promise.resolve(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength))
      },
      importKey(format, keyData, algorithm, extractable, usages) {
        const own = format === 'jwk' && !extractable && usages.length === 1 && usages[0] === 'verify' && typeof keyData === 'object' && keyData !== null
          ? importJwk(keyData as Record<string, unknown>, algorithm) : undefined
        if (!own) return subtle.importKey!(format, keyData, algorithm, extractable, usages)
        answered.importKey++
        return Promise.resolve(own)
      },
      verify(algorithm, key, signature, data) {
        if (!(key instanceof NodeVerifyKey)) return subtle.verify!(algorithm, key, signature, data) as Promise<boolean>
        const name = nameOf(algorithm)
        // Node's WebCrypto refuses a key used with another algorithm (InvalidAccessError); so do we.
        if (name !== key.algorithm.name) return Promise.reject(new DOMException('The requested operation is not valid for the provided key', 'InvalidAccessError'))
        let hash: string | null
        let options: Parameters<typeof nodeVerify>[2]
        if (name === 'ECDSA') {
          const h = hashOf(algorithm)
          if (!h) return subtle.verify!(algorithm, key, signature, data) as Promise<boolean>
          hash = h
          options = { key: key.keyObject, dsaEncoding: 'ieee-p1363' }
        } else if (name === 'Ed25519') {
          hash = null
          options = key.keyObject
        } else if (name === 'RSA-PSS') {
          const saltLength = typeof algorithm === 'string' ? undefined : algorithm.saltLength
          if (typeof saltLength !== 'number') return Promise.reject(new TypeError('RSA-PSS verify needs a saltLength'))
          hash = key.algorithm.hash!
          options = { key: key.keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }
        } else {
          hash = key.algorithm.hash!
          options = key.keyObject
        }
        answered.verify++
        // With a callback, node:crypto verifies on the libuv thread pool: about 7 µs of the event loop's time
        // instead of about 50 µs for a P-256 signature (bench/crypto.ts), and the other core does the arithmetic.
        // A signature of the wrong length or shape: WebCrypto answers false rather than failing.
        return new Promise<boolean>((resolve) => {
          try {
            nodeVerify(hash, bytes(data), options, bytes(signature), (err, ok) => resolve(err ? false : ok))
          } catch {
            resolve(false)
          }
        })
      },
    },
  }
}

/**
 * Makes @simplewebauthn/server verify with `nodeWebCrypto()`, through the hook the library keeps for setting the
 * WebCrypto it uses (`_getWebCryptoInternals.setCachedCrypto`). That hook is in a module the package does not
 * export by name, so it is loaded by its file next to the package's entry point: the same module instance the
 * library runs. If a later version moves it, nothing breaks: SimpleWebAuthn keeps Node's WebCrypto (the same
 * answers, only slower), and this returns undefined.
 */
async function install(): Promise<NodeWebCrypto | undefined> {
  try {
    const entry = import.meta.resolve('@simplewebauthn/server')
    const mod = await import(new URL('./helpers/iso/isoCrypto/getWebCrypto.js', entry).href) as {
      _getWebCryptoInternals?: { setCachedCrypto?: (c: unknown) => void }
    }
    const set = mod._getWebCryptoInternals?.setCachedCrypto
    if (typeof set !== 'function') return undefined
    const crypto = nodeWebCrypto()
    set(crypto)
    return crypto
  } catch {
    return undefined
  }
}

/** The WebCrypto SimpleWebAuthn now uses, or undefined if it keeps Node's own (see `install`). */
export const simpleWebAuthnCrypto: NodeWebCrypto | undefined = await install()
