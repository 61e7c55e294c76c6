/** A uniqueness conflict in the store; `field` names what collided. */
export class StoreConflictError extends Error {
  readonly field: 'handle' | 'credential' | 'id'
  constructor(field: 'handle' | 'credential' | 'id') {
    super(`store conflict on ${field}`)
    this.name = 'StoreConflictError'
    this.field = field
  }
}
