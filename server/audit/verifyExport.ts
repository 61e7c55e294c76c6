import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose'
import { AUDIT_GENESIS, auditEntryHash, type AuditEntry } from '../store/index.ts'
import { CHECKPOINT_TYP, CHECKPOINT_TYPE, type CheckpointClaims } from './checkpoints.ts'

export interface VerifyAuditExportResult {
  entries: number
  firstSeq: number | null
  lastSeq: number | null
  /** Checkpoints whose signature verified and whose seq/hash match the chain. */
  checkpoints: number
  /** The last entry a verified checkpoint vouches for. */
  signedThrough: number | null
  /**
   * Entries (checkpoints aside) after the newest signed head: nothing proves they were not changed, and a tail cut
   * off after that head cannot be seen. With no verified checkpoint, every entry.
   */
  unsignedEntries: number
}

export class AuditVerificationError extends Error {
  readonly line: number
  readonly seq: number | null
  constructor(line: number, seq: number | null, reason: string) {
    super(`line ${line}${seq !== null ? ` (seq ${seq})` : ''}: ${reason}`)
    this.name = 'AuditVerificationError'
    this.line = line
    this.seq = seq
  }
}

const FIELDS = ['seq', 'at', 'type', 'actor', 'subject', 'data', 'prevHash', 'hash'] as const

function parseLine(text: string, line: number): AuditEntry {
  let v: unknown
  try { v = JSON.parse(text) } catch { throw new AuditVerificationError(line, null, 'not valid JSON') }
  const e = v as Record<string, unknown>
  if (!e || typeof e !== 'object' || FIELDS.some((f) => !(f in e)) || !Number.isSafeInteger(e.seq)) {
    throw new AuditVerificationError(line, typeof e?.seq === 'number' ? e.seq : null, `not an audit entry (needs ${FIELDS.join(', ')})`)
  }
  // The hash covers these fields only: anything else on the line would ride along unchecked.
  const extra = Object.keys(e).find((k) => !(FIELDS as readonly string[]).includes(k))
  if (extra !== undefined) throw new AuditVerificationError(line, e.seq as number, `unknown field "${extra.slice(0, 40)}" (not covered by the hash)`)
  return e as unknown as AuditEntry
}

/**
 * Checks an NDJSON export offline: every hash, every link to the previous entry, no gap in the sequence, no field
 * the hash does not cover, and every checkpoint's signature against the JWKS (ES256, typ pinned), against the
 * earlier entry it names and against what its own entry states. Throws AuditVerificationError naming the first
 * broken or missing entry. What no checkpoint covers is counted (`unsignedEntries`): a chain rewritten and
 * re-hashed after its last checkpoint, or cut short there, verifies by itself, so judge that number (the CLI's
 * `--max-unsigned`) against how often the server signs its head (SIGIL_AUDIT_CHECKPOINT_SECONDS).
 */
export async function verifyAuditExport(ndjson: string, jwks: JSONWebKeySet): Promise<VerifyAuditExportResult> {
  const keys = createLocalJWKSet(jwks)
  const lines = ndjson.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const byHash = new Map<number, string>()
  let prev: AuditEntry | undefined
  let checkpoints = 0
  let signedThrough: number | null = null
  const unsigned: number[] = []
  for (const [i, text] of lines.entries()) {
    const line = i + 1
    const e = parseLine(text, line)
    if (prev && e.seq !== prev.seq + 1) {
      throw new AuditVerificationError(line, e.seq, `entry ${prev.seq + 1}${e.seq > prev.seq + 2 ? `-${e.seq - 1}` : ''} missing (after seq ${prev.seq})`)
    }
    if (!prev && e.seq === 1 && e.prevHash !== AUDIT_GENESIS) throw new AuditVerificationError(line, e.seq, 'the first entry does not start the chain')
    if (prev && e.prevHash !== prev.hash) throw new AuditVerificationError(line, e.seq, 'prevHash does not match the previous entry')
    if (auditEntryHash(e) !== e.hash) throw new AuditVerificationError(line, e.seq, 'hash does not match the entry: it was changed')
    byHash.set(e.seq, e.hash)
    if (e.type === CHECKPOINT_TYPE) {
      const jws = (e.data as { jws?: unknown }).jws
      if (typeof jws !== 'string') throw new AuditVerificationError(line, e.seq, 'checkpoint without a signature')
      let claims: CheckpointClaims
      try {
        const { payload, protectedHeader } = await compactVerify(jws, keys, { algorithms: ['ES256'] })
        if (protectedHeader.typ !== CHECKPOINT_TYP) throw new Error('wrong typ')
        claims = JSON.parse(new TextDecoder().decode(payload)) as CheckpointClaims
      } catch (err) {
        // A key the JWKS lacks is most often a retired one: say which, and where the full history comes from.
        let kid: string | undefined
        try { kid = decodeProtectedHeader(jws).kid } catch { kid = undefined }
        const missing = kid !== undefined && !jwks.keys.some((k) => k.kid === kid)
        throw new AuditVerificationError(line, e.seq, missing
          ? `checkpoint signed with key ${kid!.slice(0, 64)}, which the JWKS does not hold: verify with every key ever used (\`npm run sigil -- keys history\` or GET /v1/audit/keys)`
          : `checkpoint signature does not verify with the JWKS (${(err as Error).message})`)
      }
      // A checkpoint signs the head as it was when it was written: an entry before it. One that names itself or a
      // later entry was moved (signed checkpoints carried past the entries they vouch for, over a rewritten chain).
      if (!Number.isSafeInteger(claims.seq) || claims.seq >= e.seq) {
        throw new AuditVerificationError(line, e.seq, `checkpoint names seq ${String(claims.seq)}, not an entry before it: it was moved`)
      }
      const stated = e.data as { seq?: unknown; hash?: unknown }
      if ((stated.seq !== undefined && stated.seq !== claims.seq) || (stated.hash !== undefined && stated.hash !== claims.hash)) {
        throw new AuditVerificationError(line, e.seq, 'the checkpoint entry states another seq or hash than its signature')
      }
      const covered = byHash.get(claims.seq)
      if (covered !== undefined && covered !== claims.hash) {
        throw new AuditVerificationError(line, e.seq, `signed checkpoint names hash ${claims.hash} for seq ${claims.seq}, the export has another`)
      }
      if (covered !== undefined) {
        checkpoints++
        signedThrough = Math.max(signedThrough ?? 0, claims.seq)
      }
    }
    if (e.type !== CHECKPOINT_TYPE && (signedThrough === null || e.seq > signedThrough)) unsigned.push(e.seq)
    prev = e
  }
  const unsignedEntries = unsigned.filter((seq) => signedThrough === null || seq > signedThrough).length
  return { entries: lines.length, firstSeq: lines.length ? parseLine(lines[0]!, 1).seq : null, lastSeq: prev?.seq ?? null, checkpoints, signedThrough, unsignedEntries }
}
