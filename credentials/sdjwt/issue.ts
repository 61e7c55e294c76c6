import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import type { JWK } from 'jose'
import { encodeBase64url, isObject, utf8 } from '../encoding/index.ts'
import { fail } from '../errors.ts'
import { epochSeconds } from '../jws/index.ts'
import { assertSigner, publicJwk, type Signer } from '../keys/index.ts'
import type { StatusReference } from '../statusList/index.ts'
import { pathToString, valueAt, type ClaimPath } from './claimPath.ts'
import { SD_ALG } from './hash.ts'
import { sha256 } from '@noble/hashes/sha2'

/** JWS `typ` of an SD-JWT VC (SD-JWT VC draft §3.2.1); `vc+sd-jwt` is the older name. */
export const SD_JWT_VC_TYP = 'dc+sd-jwt'
export const SD_JWT_VC_LEGACY_TYP = 'vc+sd-jwt'

/** Options of issueSdJwtVc. */
export interface IssueSdJwtVcOptions {
  signer: Signer
  /** `iss`: the issuer's DID or https URL. */
  issuer: string
  vct: string
  now: Date
  /** `exp` = `iat` + this. */
  validitySeconds: number
  /** The holder's public key, put in `cnf.jwk` so presentations must be key-bound to it. */
  holderJwk?: JWK
  status?: StatusReference
  /** The credential's own claims, visible and selectively disclosable alike. */
  claims: Record<string, unknown>
  /** Which claims are selectively disclosable, each on its own (`['address', 'locality']`). */
  disclosable: readonly ClaimPath[]
  /** Decoy digests at the top level (RFC 9901 §4.2.5), default 3; each nested object with SD claims gets 1. */
  decoys?: number
}

const RESERVED = ['iss', 'vct', 'iat', 'nbf', 'exp', 'cnf', 'status', '_sd', '_sd_alg', '...']

type Frame = { _sd?: (string | number)[]; _sd_decoy?: number; [k: string]: unknown }

function frameOf(claims: Record<string, unknown>, paths: readonly ClaimPath[], decoys: number): Frame {
  const top: Frame = { _sd: [], _sd_decoy: decoys }
  for (const path of paths) {
    if (path.length === 0 || valueAt(claims, path) === undefined) fail('options_invalid', `no claim ${pathToString(path)} to make disclosable`)
    let frame = top
    for (const seg of path.slice(0, -1)) frame = (frame[seg] ??= { _sd: [], _sd_decoy: 1 }) as Frame
    frame._sd!.push(path.at(-1)!)
  }
  return top
}

/**
 * Issues an SD-JWT VC (RFC 9901, SD-JWT VC draft): header `typ: dc+sd-jwt`, `alg`, `kid`; always visible `iss`,
 * `vct`, `iat`, `exp`, `cnf`, `status`; each `disclosable` claim behind its own salted digest, plus decoys.
 * @sd-jwt/sd-jwt-vc does the packing and salting; signing goes through our Signer.
 */
export async function issueSdJwtVc(options: IssueSdJwtVcOptions): Promise<string> {
  const { signer, claims } = options
  assertSigner(signer)
  if (!isObject(claims)) fail('options_invalid', 'claims must be an object')
  const clash = RESERVED.find((k) => Object.hasOwn(claims, k))
  if (clash) fail('options_invalid', `claims must not set ${clash}`)
  if (!(options.validitySeconds > 0)) fail('options_invalid', 'validitySeconds must be positive')
  const iat = epochSeconds(options.now)
  const payload = {
    iss: options.issuer,
    vct: options.vct,
    iat,
    exp: iat + options.validitySeconds,
    ...(options.holderJwk ? { cnf: { jwk: (({ kid: _k, ...k }) => k)(publicJwk(options.holderJwk)) } } : {}),
    ...(options.status ? { status: { status_list: { idx: options.status.idx, uri: options.status.uri } } } : {}),
    ...structuredClone(claims),
  }
  const sdjwt = new SDJwtVcInstance({
    signer: async (data: string) => encodeBase64url(await signer.sign(utf8(data))),
    signAlg: signer.alg,
    hasher: (data: string | ArrayBuffer) => sha256(typeof data === 'string' ? utf8(data) : new Uint8Array(data)),
    hashAlg: SD_ALG,
    // 128 bits of salt per disclosure (RFC 9901 §9.3).
    saltGenerator: () => encodeBase64url(globalThis.crypto.getRandomValues(new Uint8Array(16))),
  })
  return sdjwt.issue(payload, frameOf(claims, options.disclosable, options.decoys ?? 3) as never,
    { header: { typ: SD_JWT_VC_TYP, kid: signer.kid } })
}
