import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose'
import { verifySigned } from '../keys/index.ts'
import { AUDIT_GENESIS, auditEntryHash, type AuditEntry } from '../store/index.ts'
import { CHECKPOINT_TYP, CHECKPOINT_TYPE, type CheckpointClaims, type CheckpointMark } from './checkpoints.ts'

export interface VerifyAuditExportResult {
  entries: number
  firstSeq: number
  lastSeq: number
  /** Checkpoints whose signature verified and whose seq/hash match the chain. */
  checkpoints: number
  /** The last entry a verified checkpoint vouches for. */
  signedThrough: number | null
  /**
   * Entries (checkpoints aside) after the newest signed head: nothing proves they were not changed, and a tail cut
   * off after that head cannot be seen. With no verified checkpoint, every entry.
   */
  unsignedEntries: number
  /**
   * What the newest verified checkpoint covers, and when it was signed. Keep seq and hash for the next verification
   * (`expectedCheckpoint`, `--expect-checkpoint SEQ:HASH`); a signing time older than a few checkpoint intervals
   * before the export means the log was cut back.
   */
  lastCheckpoint: (CheckpointMark & { signedAt: string }) | null
}

/** What `audit verify` found wrong, stable for scripts (the CLI prints it as `code`). */
export type AuditVerificationCode =
  | 'export_empty' | 'line_invalid' | 'chain_start' | 'entry_missing' | 'entry_unlinked' | 'entry_changed'
  | 'checkpoint_key_unknown' | 'checkpoint_invalid' | 'checkpoint_moved' | 'checkpoint_mismatch' | 'checkpoint_chain'
  | 'checkpoint_expected'

export class AuditVerificationError extends Error {
  readonly code: AuditVerificationCode
  /** The line at fault (1-based); 0 for the export as a whole. */
  readonly line: number
  readonly seq: number | null
  constructor(code: AuditVerificationCode, line: number, seq: number | null, reason: string) {
    super(`${line > 0 ? `line ${line}${seq !== null ? ` (seq ${seq})` : ''}: ` : ''}${reason}`)
    this.name = 'AuditVerificationError'
    this.code = code
    this.line = line
    this.seq = seq
  }
}

export interface VerifyAuditExportOptions {
  /**
   * The export holds the entries after this seq (`audit export --after N`): its first line must be N+1. Without it
   * the first line must be seq 1, starting the chain, so that entries cut off the front are not taken for a whole log.
   */
  after?: number
  /** The hash the first entry must link to (that of entry `after`, from an earlier verified export). */
  expectedPrevHash?: string
  /**
   * The `lastCheckpoint` an earlier verification reported: its entry must be in the export with that hash and still be
   * covered by a signed checkpoint. A log cut back to an earlier checkpoint, cut and continued, or stripped of its
   * checkpoints and re-signed from the start, verifies by itself; against what the auditor kept, it does not.
   */
  expectedCheckpoint?: CheckpointMark
}

const FIELDS = ['seq', 'at', 'type', 'actor', 'subject', 'data', 'prevHash', 'hash'] as const

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** One line as an entry of the shape the store writes; anything else is named, never left to crash a later check. */
function parseLine(text: string, line: number): AuditEntry {
  let v: unknown
  try { v = JSON.parse(text) } catch { throw new AuditVerificationError('line_invalid', line, null, 'not valid JSON') }
  if (!isObject(v) || FIELDS.some((f) => !(f in v))) {
    throw new AuditVerificationError('line_invalid', line, isObject(v) && Number.isSafeInteger(v.seq) ? v.seq as number : null, `not an audit entry (needs ${FIELDS.join(', ')})`)
  }
  const seq = Number.isSafeInteger(v.seq) && (v.seq as number) >= 1 ? v.seq as number : null
  const bad = seq === null ? 'seq (a whole number from 1)'
    : typeof v.at !== 'number' || !Number.isFinite(v.at) ? 'at (a time in milliseconds)'
    : (['type', 'actor', 'subject', 'prevHash', 'hash'] as const).find((f) => typeof v[f] !== 'string')
    ?? (isObject(v.data) ? undefined : 'data (an object)')
  if (bad !== undefined) throw new AuditVerificationError('line_invalid', line, seq, `not an audit entry: bad ${bad}`)
  // The hash covers these fields only: anything else on the line would ride along unchecked.
  const extra = Object.keys(v).find((k) => !(FIELDS as readonly string[]).includes(k))
  if (extra !== undefined) throw new AuditVerificationError('line_invalid', line, seq, `unknown field "${extra.slice(0, 40)}" (not covered by the hash)`)
  return v as unknown as AuditEntry
}

/**
 * Checks an NDJSON export offline: every hash, every link to the previous entry, no gap in the sequence, no field
 * the hash does not cover, and every checkpoint's signature against the JWKS (ES256, typ pinned), against the
 * earlier entry it names and against what its own entry states. Throws AuditVerificationError naming the first
 * broken or missing entry, with a code. The export must start the chain (or, with `after`, continue it) and hold
 * at least one entry: a file cut at the front, or empty, is not a log. What no checkpoint covers is counted
 * (`unsignedEntries`): a chain rewritten and re-hashed after its last checkpoint, or cut short there, verifies by
 * itself, so judge that number (the CLI's `--max-unsigned`) against how often the server signs its head
 * (SIGIL_AUDIT_CHECKPOINT_SECONDS).
 */
export async function verifyAuditExport(ndjson: string, jwks: JSONWebKeySet, opts: VerifyAuditExportOptions = {}): Promise<VerifyAuditExportResult> {
  const keys = createLocalJWKSet(jwks)
  const after = opts.after ?? 0
  const lines = ndjson.split('\n')
  if (lines.at(-1) === '') lines.pop()
  // An empty file proves nothing: it is what a log cut off entirely, or a failed download, looks like.
  if (ndjson.trim() === '') throw new AuditVerificationError('export_empty', 0, null, `the export holds no entries (expected seq ${after + 1} first)`)
  const byHash = new Map<number, string>()
  let first: AuditEntry | undefined
  let prev: AuditEntry | undefined
  let checkpoints = 0
  let lastCheckpoint: VerifyAuditExportResult['lastCheckpoint'] = null
  /** Every checkpoint whose signature verified, in the export's order. */
  const signed: SignedCheckpoint[] = []
  let signedThrough: number | null = null
  const unsigned: number[] = []
  for (const [i, text] of lines.entries()) {
    const line = i + 1
    const e = parseLine(text, line)
    if (prev && e.seq !== prev.seq + 1) {
      throw new AuditVerificationError('entry_missing', line, e.seq, `entry ${prev.seq + 1}${e.seq > prev.seq + 2 ? `-${e.seq - 1}` : ''} missing (after seq ${prev.seq})`)
    }
    if (!prev) checkStart(e, after, opts.expectedPrevHash)
    if (prev && e.prevHash !== prev.hash) throw new AuditVerificationError('entry_unlinked', line, e.seq, 'prevHash does not match the previous entry')
    if (auditEntryHash(e) !== e.hash) throw new AuditVerificationError('entry_changed', line, e.seq, 'hash does not match the entry: it was changed')
    byHash.set(e.seq, e.hash)
    if (e.type === CHECKPOINT_TYPE) {
      const jws = e.data.jws
      if (typeof jws !== 'string') throw new AuditVerificationError('checkpoint_invalid', line, e.seq, 'checkpoint without a signature')
      let claims: CheckpointClaims
      try {
        claims = await verifySigned(jws, keys, CHECKPOINT_TYP) as unknown as CheckpointClaims
      } catch (err) {
        // A key the JWKS lacks is most often a retired one: say which, and where the full history comes from.
        let kid: string | undefined
        try { kid = decodeProtectedHeader(jws).kid } catch { kid = undefined }
        const missing = kid !== undefined && !jwks.keys.some((k) => k.kid === kid)
        throw new AuditVerificationError(missing ? 'checkpoint_key_unknown' : 'checkpoint_invalid', line, e.seq, missing
          ? `checkpoint signed with key ${kid!.slice(0, 64)}, which the JWKS does not hold: verify with every key ever used (\`npm run sigil -- keys history\` or GET /v1/audit/keys)`
          : `checkpoint signature does not verify with the JWKS (${(err as Error).message})`)
      }
      // A checkpoint signs the head as it was when it was written: an entry before it. One that names itself or a
      // later entry was moved (signed checkpoints carried past the entries they vouch for, over a rewritten chain).
      if (!Number.isSafeInteger(claims.seq) || claims.seq >= e.seq) {
        throw new AuditVerificationError('checkpoint_moved', line, e.seq, `checkpoint names seq ${String(claims.seq)}, not an entry before it: it was moved`)
      }
      const stated = e.data as { seq?: unknown; hash?: unknown }
      if ((stated.seq !== undefined && stated.seq !== claims.seq) || (stated.hash !== undefined && stated.hash !== claims.hash)) {
        throw new AuditVerificationError('checkpoint_mismatch', line, e.seq, 'the checkpoint entry states another seq or hash than its signature')
      }
      const covered = byHash.get(claims.seq)
      if (covered !== undefined && covered !== claims.hash) {
        throw new AuditVerificationError('checkpoint_mismatch', line, e.seq, `signed checkpoint names hash ${claims.hash} for seq ${claims.seq}, the export has another`)
      }
      checkPrev(claims, signed, first?.seq ?? e.seq, line, e.seq)
      signed.push({ entrySeq: e.seq, seq: claims.seq, hash: claims.hash })
      if (covered !== undefined) {
        lastCheckpoint = { seq: claims.seq, hash: claims.hash, signedAt: new Date(claims.iat * 1000).toISOString() }
        checkpoints++
        signedThrough = Math.max(signedThrough ?? 0, claims.seq)
      }
    }
    if (e.type !== CHECKPOINT_TYPE && (signedThrough === null || e.seq > signedThrough)) unsigned.push(e.seq)
    first ??= e
    prev = e
  }
  const unsignedEntries = unsigned.filter((seq) => signedThrough === null || seq > signedThrough).length
  if (opts.expectedCheckpoint) checkExpected(opts.expectedCheckpoint, first!, after, byHash, signedThrough, prev!.seq)
  return { entries: lines.length, firstSeq: first!.seq, lastSeq: prev!.seq, checkpoints, signedThrough, unsignedEntries, lastCheckpoint }
}

/** The first line: seq 1 linking to the genesis hash, or with `after`, seq after+1 (linking to the expected hash). */
function checkStart(e: AuditEntry, after: number, expectedPrevHash: string | undefined): void {
  if (e.seq !== after + 1) {
    throw new AuditVerificationError('chain_start', 1, e.seq, after === 0
      ? `the export starts at seq ${e.seq}, not 1: entries 1-${e.seq - 1} are missing (check a partial export with --after ${e.seq - 1})`
      : `the export starts at seq ${e.seq}, not ${after + 1} (the entry after ${after})`)
  }
  if (after === 0 && e.prevHash !== AUDIT_GENESIS) throw new AuditVerificationError('chain_start', 1, e.seq, 'the first entry does not start the chain (its prevHash is not the genesis hash)')
  if (expectedPrevHash !== undefined && e.prevHash !== expectedPrevHash) {
    throw new AuditVerificationError('chain_start', 1, e.seq, `the first entry links to ${e.prevHash}, not to the expected ${expectedPrevHash.slice(0, 80)}`)
  }
}

interface SignedCheckpoint extends CheckpointMark {
  /** The checkpoint's own entry. */
  entrySeq: number
}

/**
 * A checkpoint's `prev` names what the newest checkpoint its signer saw covers: the last one in the log at or before
 * the entry it signs (the signer checked every link from there). A checkpoint removed from the log, with the chain
 * re-hashed past it, fails here, as does a chain signed without the checkpoints its signer had seen. Checkpoints
 * written before the claim existed carry no `prev` and are not checked; one whose previous checkpoint lies before a
 * partial export cannot be.
 */
function checkPrev(claims: CheckpointClaims, earlier: SignedCheckpoint[], firstSeq: number, line: number, seq: number): void {
  if (!('prev' in claims)) return
  const p: unknown = claims.prev
  if (p !== null && !(isObject(p) && Number.isSafeInteger(p.seq) && typeof p.hash === 'string')) {
    throw new AuditVerificationError('checkpoint_chain', line, seq, 'the checkpoint\'s prev claim is neither null nor a seq and hash')
  }
  const mark = p as CheckpointMark | null
  let before: SignedCheckpoint | undefined
  for (let i = earlier.length - 1; i >= 0 && !before; i--) if (earlier[i]!.entrySeq <= claims.seq) before = earlier[i]
  if (before && (mark === null || mark.seq !== before.seq || mark.hash !== before.hash)) {
    throw new AuditVerificationError('checkpoint_chain', line, seq, `its signer's previous checkpoint covers ${mark ? `seq ${mark.seq}` : 'nothing'}, but the last one `
      + `before it in the export (seq ${before.entrySeq}) covers seq ${before.seq}: checkpoints were removed or the chain rewritten`)
  }
  if (!before && mark !== null && mark.seq >= firstSeq) {
    throw new AuditVerificationError('checkpoint_chain', line, seq, `its signer's previous checkpoint covers seq ${mark.seq}, but the export has no checkpoint before it: it was removed`)
  }
}

/** The checkpoint an auditor kept from an earlier verification is still in the log, unchanged and signed. */
function checkExpected(expected: CheckpointMark, first: AuditEntry, after: number, byHash: Map<number, string>, signedThrough: number | null, lastSeq: number): void {
  const fail = (line: number, reason: string): never => { throw new AuditVerificationError('checkpoint_expected', line, line > 0 ? expected.seq : null, reason) }
  if (after > 0 && expected.seq === after) {
    if (first.prevHash !== expected.hash) fail(1, `the first entry links to ${first.prevHash}, not to entry ${after} of the expected checkpoint (${expected.hash.slice(0, 80)}): the log was rewritten`)
    return
  }
  if (expected.seq <= after) fail(0, `the expected checkpoint covers seq ${expected.seq}, before this export (after ${after}): export from --after ${expected.seq} or earlier`)
  const hash = byHash.get(expected.seq)
  if (hash === undefined) fail(0, `the export ends at seq ${lastSeq}, before seq ${expected.seq} of the expected checkpoint: the log was cut back`)
  if (hash !== expected.hash) fail(expected.seq - after, `entry ${expected.seq} has another hash than the expected checkpoint: the log was cut back or rewritten`)
  if (signedThrough === null || signedThrough < expected.seq) fail(0, `no signed checkpoint in the export covers seq ${expected.seq} any more: the one that did was cut off`)
}
