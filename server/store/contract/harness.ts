import assert from 'node:assert/strict'
import { StoreConflictError } from '../errors.ts'
import type { Store } from '../ports.ts'

/** How the suite reaches the adapter under test. */
export interface ContractTarget {
  /** A fresh, empty store. */
  make: () => Promise<Store>
  /** A second connection to the same data as `store`, standing in for another server instance. */
  peer?: (store: Store) => Promise<Store>
}

/** Runs `fn` with a fresh store and, when the adapter has one, its peer; closes both afterwards. */
export async function withStores(target: ContractTarget, fn: (store: Store, all: Store[]) => Promise<void>) {
  const store = await target.make()
  const all = [store]
  try {
    if (target.peer) all.push(await target.peer(store))
    await fn(store, all)
  } finally {
    for (const s of all.reverse()) await s.close()
  }
}

/** Starts `n` calls at once, spread over the stores round-robin, and waits for all of them. */
export function race<T>(stores: Store[], n: number, fn: (store: Store, i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(stores[i % stores.length]!, i)))
}

/** Concurrency tests use this many callers. */
export const RACERS = 50

/** An `assert.rejects` validator for a StoreConflictError on `field`. */
export function conflictOn(field: StoreConflictError['field']) {
  return (err: unknown) => {
    assert.ok(err instanceof StoreConflictError, `expected a StoreConflictError, got ${String(err)}`)
    assert.equal(err.field, field)
    return true
  }
}

/** Outcome of a call that may throw, for races where some callers are expected to fail. */
export async function settle<T>(p: Promise<T>): Promise<T | Error> {
  try {
    return await p
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err))
  }
}
