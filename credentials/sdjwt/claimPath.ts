/**
 * A claim path (SD-JWT VC §9.1 style, without wildcards): object keys and array indices from the top of the
 * credential, e.g. `['address', 'locality']` or `['age_equal_or_over', '18']`.
 */
export type ClaimPath = readonly (string | number)[]

/** Whether `prefix` is `path` or an ancestor of it. */
export function isPathPrefix(prefix: ClaimPath, path: ClaimPath): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => seg === path[i])
}

/** Whether two paths lie on one branch (one is the other or an ancestor of it). */
export const pathsOverlap = (a: ClaimPath, b: ClaimPath): boolean => isPathPrefix(a, b) || isPathPrefix(b, a)

/** `address.locality`, for messages and `field`. */
export const pathToString = (path: ClaimPath): string => path.join('.')

/** The value at `path`, or undefined. */
export function valueAt(obj: unknown, path: ClaimPath): unknown {
  let cur = obj
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, seg)) return undefined
    cur = (cur as Record<string | number, unknown>)[seg]
  }
  return cur
}
