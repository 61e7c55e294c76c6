/**
 * The backing store cannot be reached or did not answer in time. Requests fail closed with 503: a
 * single-use value is never accepted twice because the store was down.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('store unavailable', { cause })
    this.name = 'StoreUnavailableError'
  }
}

/** A uniqueness conflict in the store; `field` names what collided. */
export class StoreConflictError extends Error {
  readonly field: 'handle' | 'credential' | 'id'
  constructor(field: 'handle' | 'credential' | 'id') {
    super(`store conflict on ${field}`)
    this.name = 'StoreConflictError'
    this.field = field
  }
}
