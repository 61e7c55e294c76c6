import { createHash } from 'node:crypto'
import type { AuditEntry } from './ports.ts'

/** The hash of the first entry's predecessor. */
export const AUDIT_GENESIS = 'sha256:' + '0'.repeat(64)

/** Sorted-key JSON, so every adapter and the offline verifier hash the same bytes. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return '[' + value.map((v) => canonical(v ?? null)).join(',') + ']'
  const obj = value as Record<string, unknown>
  return '{' + Object.keys(obj).sort().filter((k) => obj[k] !== undefined)
    .map((k) => JSON.stringify(k) + ':' + canonical(obj[k])).join(',') + '}'
}

/** hash = SHA-256 over the canonical JSON of every field but `hash` itself; `prevHash` links the chain. */
export function auditEntryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const body = canonical({ seq: entry.seq, at: entry.at, type: entry.type, actor: entry.actor,
    subject: entry.subject, data: entry.data, prevHash: entry.prevHash })
  return 'sha256:' + createHash('sha256').update(body).digest('hex')
}
