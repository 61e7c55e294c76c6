import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'

/**
 * A policy set as text: the schema, and each policy's source text keyed by its `@id`. This is what the
 * version is computed over and what an evidence bundle carries, so a verifier can recompute both.
 */
export interface PolicyTexts {
  schema: string
  policies: Record<string, string>
}

/**
 * The version of a policy set: `sha256:<hex>` of the UTF-8 bytes of the RFC 8785 (JCS) serialisation of
 * `{ "policies": { <id>: <text>, ... }, "schema": <text> }`. JCS sorts the keys, so the policies are taken
 * in id order and the figure does not depend on file names, file order or the process; any change to a
 * policy's text (even a comment inside it) or to the schema changes it. Needs no Cedar, so offline
 * verifiers can recompute it.
 */
export function policyVersion(texts: PolicyTexts): string {
  const json = canonicalize({ policies: texts.policies, schema: texts.schema })
  if (json === undefined) throw new TypeError('policy texts are not serialisable')
  return `sha256:${createHash('sha256').update(json, 'utf8').digest('hex')}`
}
