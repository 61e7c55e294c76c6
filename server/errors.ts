/** The one error family of server/: a stable snake_case `code`, an HTTP status, and the field at fault. */
export interface ProblemOptions {
  detail?: string
  /** The request field at fault, as a dotted path (`response.clientDataJSON`). */
  field?: string
  /** Extra members written into the problem body (RFC 9457 extension members). */
  extra?: Record<string, unknown>
  headers?: Record<string, string>
  cause?: unknown
}

/** An error with a stable snake_case `code` that the one problem handler turns into RFC 9457 JSON. */
export class ProblemError extends Error {
  readonly code: string
  readonly status: number
  readonly detail: string | undefined
  readonly field: string | undefined
  readonly extra: Record<string, unknown> | undefined
  readonly headers: Record<string, string> | undefined
  constructor(code: string, status: number, opts: ProblemOptions = {}) {
    super(opts.detail ?? code, { cause: opts.cause })
    this.name = 'ProblemError'
    this.code = code
    this.status = status
    this.detail = opts.detail
    this.field = opts.field
    this.extra = opts.extra
    this.headers = opts.headers
  }
}
