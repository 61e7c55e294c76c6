import type { Resolvable } from 'did-resolver'
import { verifyCredential } from 'did-jwt-vc'
import { isObject } from '../encoding/index.ts'
import { CredentialError, fail, type CredentialErrorCode } from '../errors.ts'
import { checkTimeClaims, decodeJws, verifyJwsSignature } from '../jws/index.ts'
import { assertAlgAllowed, type SigningAlg } from '../keys/index.ts'
import { checkStatus, statusReferenceOf, type FetchStatusList, type StatusReference } from '../statusList/index.ts'
import { findTrustedIssuer, IssuerKeys, type TrustedIssuerList } from '../trust/index.ts'

/** Options of verifyJwtVc. */
export interface VerifyJwtVcOptions {
  /** Resolves the issuer DID (createResolver). */
  resolver: Resolvable
  trustedIssuers: TrustedIssuerList
  now: Date
  fetchStatusList?: FetchStatusList
  /** How old a status list token may be (from its `iat`), seconds. Default its `ttl`, or 300 without one (checkStatus). */
  maxStatusAgeSeconds?: number
  allowedAlgs?: readonly SigningAlg[]
  clockToleranceSeconds?: number
}

/** A verified JWT-VC. */
export interface VerifyJwtVcResult {
  issuer: string
  /** `vc.type`. */
  types: string[]
  /** `vc.credentialSubject`. */
  claims: Record<string, unknown>
  subject: string | undefined
  status: { reference: StatusReference; checked: boolean } | undefined
}

const codeOf = (message: string): CredentialErrorCode =>
  message.startsWith('invalid_signature') ? 'signature_invalid'
    : message.includes('expired') ? 'credential_expired'
    : /not valid before|not valid yet|issued in the future/.test(message) ? 'credential_not_yet_valid'
    : message.startsWith('resolver_error') || message.includes('notFound') ? 'did_resolution_failed'
    : message.startsWith('no_suitable_keys') ? 'key_unknown'
    : 'credential_malformed'

/**
 * Verifies a JWT-VC: our own checks first (allowlisted `alg`, `typ` `JWT` or `vc+jwt`, trusted issuer, one `vc.type`
 * the issuer is trusted for (the vct), time claims), then the signature: with the trust entry's pinned keys when it
 * has them, else with did-jwt-vc `verifyCredential` (an assertionMethod key of the issuer DID); then the status list
 * if a fetcher is given. A JWT-VC alone has no holder binding: whoever holds a copy can show it. Ask for a
 * holder-signed presentation and check it with verifyJwtVp (or ask for the SD-JWT VC form, with its key-binding JWT).
 */
export async function verifyJwtVc(jwt: string, options: VerifyJwtVcOptions): Promise<VerifyJwtVcResult> {
  const decoded = decodeJws(jwt)
  const { header, payload } = decoded
  assertAlgAllowed(header.alg, options.allowedAlgs)
  // A JWT-VC says `JWT` (what did-jwt-vc writes) or `vc+jwt`: an access token, an approval token or an SD-JWT's
  // issuer JWT signed by the same key is not a credential.
  if (header.typ !== 'JWT' && header.typ !== 'vc+jwt') fail('typ_invalid', `typ ${String(header.typ)}`)
  const entry = findTrustedIssuer(options.trustedIssuers, payload.iss)
  const vc = isObject(payload.vc) ? payload.vc : fail('credential_malformed', 'vc claim missing')
  const types = Array.isArray(vc.type) ? vc.type.filter((t): t is string => typeof t === 'string') : []
  if (!types.some((t) => entry.vcts.includes(t))) fail('vct_untrusted', 'no vc.type the issuer is trusted for')
  const tolerance = options.clockToleranceSeconds ?? 10
  checkTimeClaims(payload, { now: options.now, clockToleranceSeconds: tolerance, requireExp: true })
  const keys = new IssuerKeys(options.resolver)
  if (entry.keys !== undefined) {
    // Pinned keys decide, as for SD-JWT VCs: the issuer's DID document is not consulted, so a key it lists but the
    // trust list does not is refused.
    const alg = header.alg as SigningAlg
    if (!(await verifyJwsSignature(decoded, alg, await keys.get(entry, typeof header.kid === 'string' ? header.kid : undefined, alg)))) {
      fail('signature_invalid', 'the signature does not verify with the pinned key')
    }
  } else {
    try {
      await verifyCredential(jwt, options.resolver, {
        policies: { now: Math.floor(options.now.getTime() / 1000) },
        skewTime: tolerance,
        proofPurpose: 'assertionMethod',
      })
    } catch (cause) {
      if (cause instanceof CredentialError) throw cause
      const message = cause instanceof Error ? cause.message : String(cause)
      fail(codeOf(message), message, { cause })
    }
  }
  const reference = statusReferenceOf(payload)
  if (reference && options.fetchStatusList) {
    await checkStatus(reference, {
      fetchStatusList: options.fetchStatusList,
      resolveKey: (alg, kid) => keys.get(entry, kid, alg),
      now: options.now,
      clockToleranceSeconds: tolerance,
      ...(options.maxStatusAgeSeconds === undefined ? {} : { maxStatusAgeSeconds: options.maxStatusAgeSeconds }),
    })
  }
  return {
    issuer: entry.issuer,
    types,
    claims: isObject(vc.credentialSubject) ? vc.credentialSubject : {},
    subject: typeof payload.sub === 'string' ? payload.sub : undefined,
    status: reference ? { reference, checked: options.fetchStatusList !== undefined } : undefined,
  }
}
