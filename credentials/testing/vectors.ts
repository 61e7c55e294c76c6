import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Public test vectors (SD-JWT, SD-JWT VC, status list spec examples) live outside the repository in
 * `../shared/vectors`, each file naming its source in SOURCES.md. Read at run time, never copied in; a clone
 * without them skips those tests (same approach as server/testing/vectors.ts, which credentials/ may not import).
 */
export const VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', '../shared/vectors')

/** Why a test of `file` skips, or false when the file is there. */
export function vectorMissing(file: string): string | false {
  return fs.existsSync(path.join(VECTORS_DIR, file))
    ? false
    : `public test vectors not found at ${path.join(VECTORS_DIR, file)} (kept outside the repository; absent in a plain clone)`
}

const cache = new Map<string, unknown>()

/** A vector file, parsed (a fresh copy each call). */
export function readVector<T>(file: string): T {
  if (!cache.has(file)) cache.set(file, JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, file), 'utf8')))
  return structuredClone(cache.get(file)) as T
}
