import { StoreConflictError, StoreUnavailableError } from '../../errors.ts'

/**
 * Messages between the request thread (client.ts) and the store thread (worker.ts). Values cross by structured
 * clone: store records are plain data (strings, numbers, booleans, arrays, Uint8Array), which clone as they are.
 */

/** One store call: `area` is a property of Store (`passkeys`), or '' for Store's own methods (`ping`). */
export type Call = [seq: number, area: string, method: string, args: unknown[]]

/** The outcome of one call, in call order within a batch. */
export type Outcome = [seq: number, ok: true, value: unknown] | [seq: number, ok: false, error: WireError]

export type ToWorker =
  | { type: 'batch'; calls: Call[] }
  /** The events handed to `outbox.drain`'s handler were handled (or not): the drain may remove them. */
  | { type: 'drainAck'; seq: number; error?: WireError }
  | { type: 'close' }

export type FromWorker =
  /** The store is open: its areas and their method names. */
  | { type: 'ready'; shape: Record<string, string[]> }
  | { type: 'failed'; error: WireError }
  | { type: 'outcomes'; outcomes: Outcome[] }
  /** `outbox.drain` call `seq` hands these events to its handler, which runs in the request thread. */
  | { type: 'drainEvents'; seq: number; events: unknown[] }
  | { type: 'closed' }

/** An error as it crosses threads: its class by name, and what callers read of it (`field`, `code`). */
export interface WireError {
  name: string
  message: string
  field?: string
  code?: string
}

export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const w: WireError = { name: err.name, message: err.message }
  if (err instanceof StoreConflictError) w.field = err.field
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') w.code = code
  return w
}

/** The error a caller would have seen from the store in its own thread; unknown classes become a plain Error. */
export function fromWireError(w: WireError): Error {
  if (w.name === 'StoreConflictError') return new StoreConflictError((w.field ?? 'id') as StoreConflictError['field'])
  if (w.name === 'StoreUnavailableError') return new StoreUnavailableError(new Error(w.message))
  const err = new Error(w.message)
  err.name = w.name
  if (w.code !== undefined) Object.assign(err, { code: w.code })
  return err
}
