/**
 * A reference signing service's gate: what an HSM or MPC signer runs before it signs a transaction that
 * Sigil approved. Copy it; it depends only on `jose` and `canonicalize` (RFC 8785), not on Sigil's code.
 *
 * 1. Verify the approval token against Sigil's JWKS: ES256 only, `typ: sigil-approval+jwt`, issuer, and
 *    audience = this signing service's API client id; expired tokens fail here.
 * 2. Recompute the intent digest from the transaction it is about to sign (RFC 8785 JSON, SHA-256) and
 *    compare it with the token's `intent_digest`, and the request id with `sub`.
 * 3. Redeem the approval at Sigil (`POST /v1/approvals/:id/redeem`): 200 once, 409 ever after.
 * 4. Only then sign, and sign the transaction as checked (the copy `sign` receives), not the object passed in.
 */
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'

export const APPROVAL_TOKEN_TYP = 'sigil-approval+jwt'

export interface ReferenceSignerOptions {
  /** Where Sigil answers, e.g. https://sigil.example.com */
  sigilUrl: string
  /** Sigil's issuer name (its SIGIL_PUBLIC_URL); defaults to sigilUrl. */
  issuer?: string
  /** This signing service's API client id: the audience its tokens must name. */
  signerId: string
  /** Its API key (role signing-service), to redeem approvals. */
  apiKey: string
  /** Clock for token expiry; defaults to the system clock. */
  now?: () => Date
}

export interface ApprovalClaims extends JWTPayload {
  sub: string
  jti: string
  intent_digest: string
  policy_version: string
  approvers: string[]
}

export class SignerRefusal extends Error {
  constructor(readonly code: 'token_invalid' | 'digest_mismatch' | 'request_mismatch' | 'redeem_refused', message: string, readonly status?: number) {
    super(message)
    this.name = 'SignerRefusal'
  }
}

/** `sha256:<hex>` over the RFC 8785 serialisation of the intent: the same digest Sigil binds approvals to. */
export function intentDigest(intent: unknown): string {
  return digestOfCanonical(canonicalJson(intent))
}

function canonicalJson(intent: unknown): string {
  const json = canonicalize(intent)
  if (json === undefined) throw new SignerRefusal('digest_mismatch', 'the transaction cannot be canonicalised')
  return json
}

const digestOfCanonical = (json: string): string => `sha256:${createHash('sha256').update(json, 'utf8').digest('hex')}`

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

export function createReferenceSigner(opts: ReferenceSignerOptions) {
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', opts.sigilUrl))
  const issuer = opts.issuer ?? opts.sigilUrl

  async function verifyToken(token: string): Promise<ApprovalClaims> {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ['ES256'], typ: APPROVAL_TOKEN_TYP, issuer, audience: opts.signerId,
        // Sigil's tokens live 5 minutes: one claiming longer, or issued in the future, is not one of them.
        // Clocks drift (NTP keeps them within seconds): a token issued a moment "in the future" by Sigil's clock is fine.
        maxTokenAge: '300s', clockTolerance: 30,
        requiredClaims: ['sub', 'jti', 'exp', 'iat', 'intent_digest'], ...(opts.now ? { currentDate: opts.now() } : {}),
      })
      if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || payload.exp - payload.iat > 300) throw new Error('the token lives longer than 5 minutes')
      return payload as ApprovalClaims
    } catch (err) {
      throw new SignerRefusal('token_invalid', `approval token refused: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  /**
   * Checks the approval for exactly this transaction, redeems it once at Sigil, then calls `sign` with the
   * transaction as checked: a deep-frozen copy made from the canonical bytes that were hashed. **Sign that copy**,
   * not the object passed in: an object with a `toJSON`, getters or a field changed while the redemption is under
   * way would otherwise be checked as one transaction and signed as another. Throws a SignerRefusal, without
   * signing, at the first check that fails.
   */
  async function signApproved<T>(approvalId: string, token: string, transaction: unknown, sign: (checked: unknown) => Promise<T>): Promise<{ signature: T; claims: ApprovalClaims }> {
    const claims = await verifyToken(token)
    if (claims.sub !== approvalId) throw new SignerRefusal('request_mismatch', 'the token approves another request')
    // The bytes are taken once: the digest is over them, and what is signed is parsed back from them.
    const json = canonicalJson(transaction)
    if (claims.intent_digest !== digestOfCanonical(json)) {
      throw new SignerRefusal('digest_mismatch', 'the token approves another transaction than the one about to be signed')
    }
    const checked = deepFreeze(JSON.parse(json) as unknown)
    const res = await fetch(new URL(`/v1/approvals/${encodeURIComponent(approvalId)}/redeem`, opts.sigilUrl), {
      method: 'POST', headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ token }),
    })
    const body = await res.text()
    if (res.status !== 200) throw new SignerRefusal('redeem_refused', `Sigil refused the redemption (${res.status}): ${body.slice(0, 300)}`, res.status)
    // The answer must be about this approval and this transaction.
    let redeemed: { id?: unknown; intentDigest?: unknown }
    try {
      redeemed = JSON.parse(body) as typeof redeemed
    } catch {
      throw new SignerRefusal('redeem_refused', 'Sigil answered the redemption with something that is not JSON', res.status)
    }
    if (redeemed.id !== approvalId || redeemed.intentDigest !== claims.intent_digest) {
      throw new SignerRefusal('redeem_refused', 'the redemption answer is about another approval or transaction', res.status)
    }
    return { signature: await sign(checked), claims }
  }

  return { verifyToken, signApproved }
}
