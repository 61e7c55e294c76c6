import {
  preparsePolicySet, preparseSchema, statefulIsAuthorized,
  type Context, type EntityJson, type EntityUidJson,
} from '@cedar-policy/cedar-wasm/nodejs'
import { createHash } from 'node:crypto'
import v8 from 'node:v8'
import { PolicyError } from './errors.ts'

// V8 11.3 (Node 20) can crash the process ("Fatal error … unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation) when optimized code that inlined a JS-to-Wasm call is deoptimized
// lazily while that call runs: seen three times in three 60-second runs of bench/mixed.ts (the deopt trace ended
// in `evaluateIssuance` → `authorize` → cedar-wasm), never in runs with the inlining off. So it is switched off
// before any caller of cedar-wasm is optimized. Later V8s reworked this inlining; the flag is left alone there.
if (process.versions.v8.startsWith('11.')) v8.setFlagsFromString('--no-turbo-inline-js-wasm-calls')
import { ACTIONS, type CompiledPolicySet } from './policySet.ts'
import { specialize, type Fact, type LongForm, type Variant } from './specialize.ts'

/** The decimal attributes of CreateTransfer's context (`TransferContext` in sigil.cedarschema). */
export const TRANSFER_DECIMALS: ReadonlySet<string> = new Set(['amount', 'dayTotal'])
/** The Boolean attributes of CreateTransfer's context, always passed as true or false (approvalContext.ts). */
export const TRANSFER_BOOLEANS: ReadonlySet<string> = new Set(['beneficiaryVerified', 'destinationAllowlisted'])
/** The Long attributes of CreateTransfer's context, always passed as integers (approvalContext.ts). */
export const TRANSFER_LONGS: ReadonlySet<string> = new Set(['hourUtc', 'weekdayUtc', 'hourLocal', 'weekdayLocal'])
const CREATE_TRANSFER = { type: 'Sigil::Action', id: 'CreateTransfer' }

/** One preparsed variant of CreateTransfer's policies and the context attributes it reads, with the names to pass them under. */
export interface TransferForm {
  policySetId: string
  pass: ReadonlyArray<readonly [from: string, to: string]>
}

/** The variants of one Long form, and the facts that pick one ({@link variantIndex}). */
export interface TransferForms {
  facts: readonly Fact[]
  variants: readonly TransferForm[]
}

/** How a CreateTransfer request is passed to Cedar fastest; see specialize.ts. */
export interface TransferPlan {
  /** The context attributes CreateTransfer's policies as written read; `all` when one uses the context as a whole. */
  reads: ReadonlySet<string> | 'all'
  /** The Long forms (decimal comparisons on Longs of 1/10 000ths), by value of `attribute`, when every policy allowed it. */
  long?: { attribute?: string; byValue: ReadonlyMap<string, TransferForms>; other: TransferForms }
}

/** Names of the per-action policy subsets and the schema parsed once into cedar-wasm's cache. */
export interface PreparsedIds {
  /** action id → preparsed policy set id */
  policySets: ReadonlyMap<string, string>
  schemaName: string
  transfer: TransferPlan
}

/** A Cedar request; `action` is the id of a `Sigil::Action`. */
export interface CedarRequest {
  principal: EntityUidJson
  action: string
  resource: EntityUidJson
  context: Context
  entities: EntityJson[]
  /**
   * Set only by request builders that check every input's type themselves (transferRequest): Cedar then
   * skips schema-based request validation, which costs about a quarter of the approval hot path. The
   * policies were validated against the schema in strict mode at load, and a test checks that what the
   * builder produces validates, so the two checks stay equivalent.
   */
  shapeChecked?: boolean
  /** A preparsed set other than the action's own: one of CreateTransfer's Long forms (`TransferPlan.long`). */
  policySetId?: string
}

/** Cedar's answer, with every kind of failure folded into `error`. */
export type Authorization =
  | { kind: 'allow' | 'deny'; determining: string[] }
  | { kind: 'error'; message: string }

/**
 * Parses the schema and, per action, the subset of policies whose scope can match it into cedar-wasm's
 * per-thread cache (4.13's `preparseSchema`/`preparsePolicySet`), keyed by the version, so a decision neither
 * parses policies nor walks policies of other actions. A policy outside an action's subset could never match
 * that action, so the answers are those of the whole set.
 */
export function preparse(compiled: CompiledPolicySet, version: string): PreparsedIds {
  const schemaName = `sigil-schema:${version}`
  const s = preparseSchema(schemaName, compiled.texts.schema)
  if (s.type === 'failure') throw new PolicyError('schema_invalid', s.errors[0]?.message ?? 'schema does not parse')
  const policySets = new Map<string, string>()
  for (const action of ACTIONS) {
    const subset = [...compiled.policies.values()].filter((p) => p.actions === 'all' || p.actions.includes(action))
    const id = `sigil:${version}:${action}`
    const p = preparsePolicySet(id, { staticPolicies: Object.fromEntries(subset.map((x) => [x.id, x.text])) })
    if (p.type === 'failure') throw new PolicyError('policy_syntax_error', p.errors[0]?.message ?? 'policy set does not parse')
    policySets.set(action, id)
  }
  const transferTexts = Object.fromEntries([...compiled.policies.values()]
    .filter((p) => p.actions === 'all' || p.actions.includes('CreateTransfer')).map((p) => [p.id, p.text]))
  let fast: ReturnType<typeof specialize>
  try {
    fast = specialize(transferTexts, TRANSFER_DECIMALS, { booleans: TRANSFER_BOOLEANS, longs: TRANSFER_LONGS, action: CREATE_TRANSFER })
  } catch {
    // An optimization only: whatever it trips over, the policies as written with the whole context decide.
    fast = { reads: 'all' }
  }
  const transfer: TransferPlan = { reads: fast.reads }
  if (fast.long) {
    // The rewrite is an optimization: a form cedar-wasm refuses only means decimals are passed as written.
    let ok = true
    // Variants that came out alike (a Boolean a form does not read) share one preparsed set. cedar-wasm's cache is
    // one per process, and another engine for the same version (the same texts in another order: a change that
    // restores an earlier set, an evidence bundle) makes its forms in another order: so a form is named by its
    // content, never by its place, and a name always means the same policies.
    const ids = new Map<string, string>()
    const form = (v: Variant): TransferForm => {
      const key = JSON.stringify(v.policies)
      let id = ids.get(key)
      if (id === undefined) {
        id = `sigil:CreateTransfer:form:${createHash('sha256').update(key).digest('hex')}`
        ids.set(key, id)
        try {
          if (preparsePolicySet(id, { staticPolicies: v.policies }).type !== 'success') ok = false
        } catch {
          ok = false
        }
      }
      return { policySetId: id, pass: v.pass }
    }
    const forms = (f: LongForm): TransferForms => ({ facts: f.facts, variants: f.variants.map(form) })
    const byValue = new Map([...fast.long.byValue].map(([value, f]) => [value, forms(f)]))
    const other = forms(fast.long.other)
    if (ok) transfer.long = { ...(fast.long.attribute ? { attribute: fast.long.attribute } : {}), byValue, other }
  }
  return { policySets, schemaName, transfer }
}

/**
 * Asks Cedar, validating the request (context types included) against the schema unless the builder
 * already did (`shapeChecked`). Cedar skips a policy
 * whose condition errors, which for a forbid would fail open, so any error at all — a request that does
 * not match the schema, a policy that errors (overflow, missing attribute), or a thrown exception — comes
 * back as `error`, and every caller treats `error` as deny.
 */
export function authorize(ids: PreparsedIds, req: CedarRequest): Authorization {
  try {
    const policySetId = req.policySetId ?? ids.policySets.get(req.action)
    if (policySetId === undefined) return { kind: 'error', message: `unknown action ${req.action}` }
    const answer = statefulIsAuthorized({
      principal: req.principal,
      action: { type: 'Sigil::Action', id: req.action },
      resource: req.resource,
      context: req.context,
      entities: req.entities,
      preparsedPolicySetId: policySetId,
      ...(req.shapeChecked ? { validateRequest: false } : { preparsedSchemaName: ids.schemaName, validateRequest: true }),
    })
    if (answer.type === 'failure') return { kind: 'error', message: answer.errors.map((e) => e.message).join('; ') || 'evaluation failed' }
    const { decision, diagnostics } = answer.response
    if (diagnostics.errors.length > 0) {
      // By policy id, so the message does not depend on the order cedar-wasm met them in.
      const errors = [...diagnostics.errors].sort((a, b) => (a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0))
      return { kind: 'error', message: errors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ') }
    }
    return { kind: decision, determining: diagnostics.reason }
  } catch (e) {
    return { kind: 'error', message: e instanceof Error ? e.message : String(e) }
  }
}
