import type { Resolvable } from 'did-resolver'
import type { JWK } from 'jose'
import { isObject } from '../encoding/index.ts'
import { fail } from '../errors.ts'
import { checkTimeClaims, decodeJws, verifyJwsSignature } from '../jws/index.ts'
import { assertAlgAllowed, PublicKeyCache, SIGNING_ALGS, type SigningAlg } from '../keys/index.ts'
import { checkStatus, StatusListCache, statusReferenceOf, type FetchStatusList, type StatusReference } from '../statusList/index.ts'
import { assertVctTrusted, findTrustedIssuer, IssuerKeys, type TrustedIssuerList } from '../trust/index.ts'
import { pathsOverlap, pathToString, type ClaimPath } from './claimPath.ts'
import { splitSdJwt } from './compact.ts'
import { assertSdAlg, digestAll } from './decodeSdJwt.ts'
import { parseDisclosure } from './disclosure.ts'
import { SD_JWT_VC_LEGACY_TYP, SD_JWT_VC_TYP } from './issue.ts'
import { verifyKbJwt, type VerifiedKbJwt } from './keyBinding.ts'
import { reconstruct } from './reconstruct.ts'

/** What a verifier is set up with once: whom it trusts and how it reaches keys and status lists. */
export interface SdJwtVcVerifierConfig {
  trustedIssuers: TrustedIssuerList
  /** Resolves DID issuers that have no pinned keys (createResolver()). Trust caveat: its did:web fetch decides keys. */
  resolver?: Resolvable
  /** Fetches status list tokens; absent = offline, the status is reported unchecked. */
  fetchStatusList?: FetchStatusList
  /** Narrows the allowlist (ES256, EdDSA); it can never widen it. */
  allowedAlgs?: readonly SigningAlg[]
  /** Also accept the pre-2025 `typ: vc+sd-jwt`. Default false. */
  allowLegacyTyp?: boolean
  /** Clock difference accepted on exp/nbf/iat and KB-JWT iat, seconds. Default 10. */
  clockToleranceSeconds?: number
  /** How old a KB-JWT may be, seconds. Default 300. */
  kbMaxAgeSeconds?: number
  /** How long an issuer key found by resolving its DID is used before resolving again, seconds. Default 300. */
  keyCacheSeconds?: number
  /** How old a status list token may be (from its `iat`), seconds. Default its `ttl`, or 300 without one (checkStatus). */
  maxStatusAgeSeconds?: number
}

/** Per-presentation options of SdJwtVcVerifier.verify. */
export interface VerifySdJwtVcOptions {
  now: Date
  /** The nonce this verifier gave the holder; required while key binding is. */
  expectedNonce?: string
  /** This verifier's identifier as the KB-JWT `aud`; required while key binding is. */
  expectedAudience?: string
  /** Default true. False accepts a presentation without KB-JWT (a KB-JWT that is there is still checked). */
  requireKeyBinding?: boolean
  /** Accept only this credential type. */
  expectedVct?: string
  /** The claims the verifier asked for: each must be answered (else `claims_missing`), and disclosing anything else is `claims_not_requested`. */
  expectedClaims?: readonly ClaimPath[]
}

/** A verified SD-JWT VC presentation. */
export interface VerifySdJwtVcResult {
  issuer: string
  vct: string
  /** Always-visible plus disclosed claims (RFC 9901 §7.1 processed payload, without `_sd_alg`). */
  claims: Record<string, unknown>
  /** Where the presented disclosures landed. */
  disclosedPaths: ClaimPath[]
  holderKey: JWK | undefined
  keyBinding: VerifiedKbJwt | undefined
  /** The status reference; `checked` false when no status fetcher was configured. */
  status: { reference: StatusReference; checked: boolean } | undefined
  header: Record<string, unknown>
}

/** A configured verifier; it imports each issuer and holder key once and caches status lists. */
export interface SdJwtVcVerifier {
  verify(presentation: string, options: VerifySdJwtVcOptions): Promise<VerifySdJwtVcResult>
}

/**
 * Creates an SD-JWT VC verifier. Unlike @sd-jwt/sd-jwt-vc 0.19 it rejects unreferenced, duplicated and
 * reserved-name disclosures, and key binding is required unless turned off per call.
 */
export function createSdJwtVcVerifier(config: SdJwtVcVerifierConfig): SdJwtVcVerifier {
  const allowedAlgs = (config.allowedAlgs ?? SIGNING_ALGS).filter((a) => SIGNING_ALGS.includes(a))
  const typs = config.allowLegacyTyp ? [SD_JWT_VC_TYP, SD_JWT_VC_LEGACY_TYP] : [SD_JWT_VC_TYP]
  const tolerance = config.clockToleranceSeconds ?? 10
  const kbMaxAge = config.kbMaxAgeSeconds ?? 300
  const issuerKeys = new IssuerKeys(config.resolver, config.keyCacheSeconds === undefined ? {} : { keyCacheSeconds: config.keyCacheSeconds })
  const holderKeys = new PublicKeyCache()
  const statusCache = new StatusListCache()

  async function verify(presentation: string, options: VerifySdJwtVcOptions): Promise<VerifySdJwtVcResult> {
    const requireKb = options.requireKeyBinding ?? true
    if (requireKb && (options.expectedNonce === undefined || options.expectedAudience === undefined)) {
      fail('options_invalid', 'key binding needs expectedNonce and expectedAudience')
    }
    const split = splitSdJwt(presentation)
    const jws = decodeJws(split.jwt)
    const { header, payload } = jws
    if (!typs.includes(header.typ as string)) fail('typ_invalid', `typ ${String(header.typ)}`)
    const alg = assertAlgAllowed(header.alg, allowedAlgs)
    const entry = findTrustedIssuer(config.trustedIssuers, payload.iss)
    const kid = typeof header.kid === 'string' ? header.kid : undefined

    // Start the KB-JWT check alongside the issuer's; results are checked below in a fixed order.
    const cnf = isObject(payload.cnf) && isObject(payload.cnf.jwk) ? payload.cnf.jwk as JWK : undefined
    const kbP = split.kbJwt === undefined || cnf === undefined ? undefined : verifyKbJwt(split.kbJwt, {
      holderKey: (kbAlg) => holderKeys.get(cnf, kbAlg),
      sdJwt: split.sdJwt,
      expectedNonce: options.expectedNonce,
      expectedAudience: options.expectedAudience,
      now: options.now,
      maxAgeSeconds: kbMaxAge,
      clockToleranceSeconds: tolerance,
      allowedAlgs,
    }).then((kb) => ({ kb }), (error: unknown) => ({ error }))
    const key = await issuerKeys.get(entry, kid, alg)
    if (!await verifyJwsSignature(jws, alg, key)) fail('signature_invalid')

    if (typeof payload.vct !== 'string') fail('credential_malformed', 'vct missing')
    assertVctTrusted(entry, payload.vct)
    if (options.expectedVct !== undefined && payload.vct !== options.expectedVct) fail('vct_untrusted', `expected ${options.expectedVct}`)
    checkTimeClaims(payload, { now: options.now, clockToleranceSeconds: tolerance })
    assertSdAlg(payload)

    const digests = digestAll(split.disclosures)
    const { claims, disclosed } = reconstruct(payload, split.disclosures.map((d, i) => parseDisclosure(d, digests[i]!)))

    let keyBinding: VerifiedKbJwt | undefined
    if (kbP) {
      const r = await kbP
      if ('error' in r) throw r.error
      keyBinding = r.kb
    } else if (requireKb) {
      if (cnf === undefined) fail('holder_key_missing', 'no cnf.jwk to bind to')
      fail('kb_jwt_missing')
    } else if (split.kbJwt !== undefined) {
      fail('holder_key_missing', 'KB-JWT present but no cnf.jwk')
    }

    if (options.expectedClaims) {
      const extra = disclosed.find(({ path }) => !options.expectedClaims!.some((want) => pathsOverlap(path, want)))
      if (extra) fail('claims_not_requested', pathToString(extra.path), { field: pathToString(extra.path) })
      // A holder who withholds what was asked (a minor leaving out age_equal_or_over.18) has not answered: an app
      // reading "verified" as "meets the requirement" must not be handed an empty answer.
      const missing = options.expectedClaims.find((want) => !hasClaim(claims, want))
      if (missing) fail('claims_missing', pathToString(missing), { field: pathToString(missing) })
    }

    const reference = statusReferenceOf(payload)
    if (reference && config.fetchStatusList) {
      await checkStatus(reference, {
        fetchStatusList: config.fetchStatusList,
        resolveKey: (slAlg, slKid) => issuerKeys.get(entry, slKid, slAlg),
        now: options.now,
        clockToleranceSeconds: tolerance,
        allowedAlgs,
        cache: statusCache,
        cacheKey: entry.issuer,
        ...(config.maxStatusAgeSeconds === undefined ? {} : { maxStatusAgeSeconds: config.maxStatusAgeSeconds }),
      })
    }

    return {
      issuer: entry.issuer,
      vct: payload.vct,
      claims,
      disclosedPaths: disclosed.map((d) => d.path),
      holderKey: cnf,
      keyBinding,
      status: reference ? { reference, checked: config.fetchStatusList !== undefined } : undefined,
      header,
    }
  }

  return { verify }
}

/** Whether the processed claims hold a value at `path` (member names and array indexes). */
function hasClaim(claims: unknown, path: ClaimPath): boolean {
  let here: unknown = claims
  for (const step of path) {
    if (here === null || typeof here !== 'object') return false
    here = (here as Record<string | number, unknown>)[step]
  }
  return here !== undefined
}

/** One-shot verification (a fresh verifier, so nothing is cached); see createSdJwtVcVerifier. */
export function verifySdJwtVc(presentation: string, options: VerifySdJwtVcOptions & SdJwtVcVerifierConfig): Promise<VerifySdJwtVcResult> {
  return createSdJwtVcVerifier(options).verify(presentation, options)
}
