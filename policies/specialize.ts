import { policyToJson, type PolicyJson } from '@cedar-policy/cedar-wasm/nodejs'

/**
 * A faster form of a policy subset for cedar-wasm, computed once when the set is loaded. Three things cost most of
 * an approval decision's time inside cedar-wasm (bench/policyDecision.ts):
 *
 * - **each context attribute** passed in (about 4.5 µs each on the 2-core bench machine), so only the attributes
 *   some policy of the subset reads are passed ({@link Specialized.reads});
 * - **decimals**: a `decimal` in the context costs about four times a Long, and every `decimal("20.0")` literal
 *   is parsed again at each evaluation. A Cedar decimal is an i64 count of 1/10 000ths, and its four
 *   comparison methods compare those i64s, so `context.amount.greaterThanOrEqual(decimal("20.0"))` gives the
 *   same answer as `context.amount >= 200000` with the amount passed as a Long of 1/10 000ths. When every use
 *   of a decimal attribute is such a comparison, the subset is rewritten that way
 *   ({@link Specialized.long}); any other use (`==`, passing it on) leaves the subset as written;
 * - **evaluating** every policy, about 1 µs per operation: most transfer policies start with the asset, so the
 *   Long form is made once per asset the policies name ({@link LongForms}), with those tests already answered.
 *
 * In the rewritten subset a small set literal of strings, Longs or Booleans tested against a context attribute,
 * `["btc", "eth"].contains(context.asset)`, becomes `context.asset == "btc" || context.asset == "eth"`, which
 * gives the same answer (both compare values, and neither errors on a type mismatch) without building the set at
 * every evaluation.
 *
 * The policies keep their ids, so determining policies and their annotations are those of the texts. The
 * texts are what is validated, hashed into the policy version and shown; the rewrite is never stored.
 * policies/specialize.test.ts checks that both forms decide alike, boundaries included.
 */
export interface Specialized {
  /** The Long form, when every policy allowed it; absent when a policy uses a decimal attribute otherwise. */
  long?: LongForms
  /** The context attributes some policy reads or tests with `has`; `all` when a policy uses `context` as a whole. */
  reads: ReadonlySet<string> | 'all'
}

/** One form of the subset for cedar-wasm, with the context attributes it reads. */
export interface LongForm {
  policies: Record<string, PolicyJson>
  reads: ReadonlySet<string> | 'all'
}

/**
 * The Long form, and when possible one per value of a partitioning attribute ({@link PARTITION}): every policy
 * compares it only with string literals (`==`, `!=`, or a small set's `contains`), so for each literal, and for
 * "none of them", the comparisons are replaced by their answers, the conditions folded (short-circuit rules only,
 * so an error still surfaces where Cedar would raise it), and policies that can no longer match dropped. The
 * attribute itself is then not passed at all.
 */
export interface LongForms {
  attribute?: string
  byValue: ReadonlyMap<string, LongForm>
  /** For any value not in `byValue`, or for every request when there is no partition. */
  other: LongForm
}

/** What CreateTransfer's policies branch on first: the asset. */
export const PARTITION = 'asset'
/** At most this many per-value forms (each a preparsed copy of the subset, kept while its version is). */
const MAX_PARTITIONS = 32

const COMPARISONS: Readonly<Record<string, string>> = { lessThan: '<', lessThanOrEqual: '<=', greaterThan: '>', greaterThanOrEqual: '>=' }
/** Set literals up to this size become a chain of `==`; a longer list (a big deny list) stays a set. */
const MAX_UNROLLED_SET = 16
/** Cedar's decimal literal: at most 4 fractional digits. */
const DECIMAL_LITERAL = /^(-?)([0-9]+)\.([0-9]{1,4})$/

type Node = unknown
interface State { reads: Set<string> | 'all'; lowerable: boolean }

const isContext = (n: Node): boolean => typeof n === 'object' && n !== null && (n as { Var?: unknown }).Var === 'context'

function read(state: State, attr: string): void {
  if (state.reads !== 'all') state.reads.add(attr)
}

/** Whether every number in a literal (records and sets included) is one a JS number holds exactly. */
function numbersSafe(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v)
  if (Array.isArray(v)) return v.every(numbersSafe)
  if (typeof v === 'object' && v !== null) return Object.values(v).every(numbersSafe)
  return true
}

function isPrimitiveLiteral(n: Node): boolean {
  if (typeof n !== 'object' || n === null || Object.keys(n).length !== 1) return false
  const v = (n as { Value?: unknown }).Value
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v))
}

/** A literal's value in 1/10 000ths, if it is a decimal literal whose value a JS number holds exactly. */
function literalUnits(n: Node): number | undefined {
  const args = (n as { decimal?: unknown }).decimal
  if (!Array.isArray(args) || args.length !== 1) return undefined
  const s = (args[0] as { Value?: unknown } | null)?.Value
  const m = typeof s === 'string' ? DECIMAL_LITERAL.exec(s) : null
  if (!m) return undefined
  const units = BigInt(m[2]!) * 10_000n + BigInt(m[3]!.padEnd(4, '0'))
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) return undefined
  return Number(m[1] ? -units : units)
}

/** A comparison operand as a Long expression: a decimal attribute of the context, or a decimal literal. */
function operand(n: Node, decimals: ReadonlySet<string>, state: State): Node | undefined {
  if (typeof n !== 'object' || n === null) return undefined
  const dot = (n as { '.'?: { left?: Node; attr?: unknown } })['.']
  if (dot && Object.keys(n).length === 1 && isContext(dot.left) && typeof dot.attr === 'string' && decimals.has(dot.attr)) {
    read(state, dot.attr)
    return n
  }
  const units = Object.keys(n).length === 1 ? literalUnits(n) : undefined
  return units === undefined ? undefined : { Value: units }
}

function walk(n: Node, decimals: ReadonlySet<string>, state: State): Node {
  if (Array.isArray(n)) return n.map((x) => walk(x, decimals, state))
  if (typeof n !== 'object' || n === null) return n
  const keys = Object.keys(n)
  const o = n as Record<string, unknown>
  if (keys.length === 1) {
    const k = keys[0]!
    const v = o[k]
    if (k === 'Value') {
      // A literal reads nothing. policyToJson gives Longs as JS numbers, which round past 2^53: a form built from
      // such a number would compare with another value than the text, so there is none.
      if (!numbersSafe(v)) state.lowerable = false
      return n
    }
    if (k === 'Var') {
      // `context` used as a whole value: every attribute goes, and a decimal reached through it must stay one.
      if (v === 'context') { state.reads = 'all'; state.lowerable = false }
      return n
    }
    // A record literal's keys are attribute names, which could be "Value" or "Var": walk its values only.
    if (k === 'Record' && typeof v === 'object' && v !== null) {
      return { Record: Object.fromEntries(Object.entries(v).map(([a, x]) => [a, walk(x, decimals, state)])) }
    }
    const access = v as { left?: Node; attr?: unknown } | undefined
    if ((k === '.' || k === 'has') && typeof access === 'object' && access !== null && typeof access.attr === 'string') {
      if (isContext(access.left)) {
        read(state, access.attr)
        // A decimal attribute read anywhere but in a comparison below keeps its decimal type.
        if (k === '.' && decimals.has(access.attr)) state.lowerable = false
        return n
      }
      return { [k]: { ...access, left: walk(access.left, decimals, state) } }
    }
    const contains = v as { left?: { Set?: unknown }; right?: Node } | undefined
    if (k === 'contains' && typeof contains === 'object' && contains !== null) {
      const items = contains.left?.Set
      const dot = (contains.right as { '.'?: { left?: Node; attr?: unknown } } | undefined)?.['.']
      const attr = dot?.attr
      if (Array.isArray(items) && items.length > 0 && items.length <= MAX_UNROLLED_SET && Object.keys(contains.left!).length === 1 &&
        items.every(isPrimitiveLiteral) && dot && Object.keys(contains.right!).length === 1 && isContext(dot.left) &&
        typeof attr === 'string' && !decimals.has(attr)) {
        read(state, attr)
        return items.map((item) => ({ '==': { left: contains.right, right: item } }))
          .reduce((left, right) => ({ '||': { left, right } }) as never)
      }
    }
    const op = COMPARISONS[k]
    if (op !== undefined && Array.isArray(v) && v.length === 2) {
      const left = operand(v[0], decimals, state)
      const right = operand(v[1], decimals, state)
      if (left !== undefined && right !== undefined) return { [op]: { left, right } }
    }
  }
  return Object.fromEntries(keys.map((k) => [k, walk(o[k], decimals, state)]))
}

const isPartition = (n: Node, attr: string): boolean => {
  const dot = (n as { '.'?: { left?: Node; attr?: unknown } } | null)?.['.']
  return typeof n === 'object' && n !== null && Object.keys(n).length === 1 && dot !== undefined && isContext(dot.left) && dot.attr === attr
}
const stringLiteral = (n: Node): string | undefined => {
  const v = typeof n === 'object' && n !== null && Object.keys(n).length === 1 ? (n as { Value?: unknown }).Value : undefined
  return typeof v === 'string' ? v : undefined
}

/** `context.<attr> == "x"` or `!=`, either side: the literal and whether it is `!=`. */
function partitionTest(n: Node, attr: string): { literal: string; negated: boolean } | undefined {
  if (typeof n !== 'object' || n === null || Object.keys(n).length !== 1) return undefined
  const [k] = Object.keys(n)
  if (k !== '==' && k !== '!=') return undefined
  const { left, right } = (n as Record<string, { left?: Node; right?: Node }>)[k!]!
  const literal = isPartition(left, attr) ? stringLiteral(right) : isPartition(right, attr) ? stringLiteral(left) : undefined
  return literal === undefined ? undefined : { literal, negated: k === '!=' }
}

const TRUE = { Value: true }
const FALSE = { Value: false }
const constant = (n: Node): boolean | undefined => {
  const v = typeof n === 'object' && n !== null && Object.keys(n).length === 1 ? (n as { Value?: unknown }).Value : undefined
  return typeof v === 'boolean' ? v : undefined
}

/**
 * Folds what substitution made constant, as Cedar evaluates: `&&` and `||` short-circuit on their left operand
 * only, so `X && false` stays (X may still raise an error), while `X && true` is X and `false && X` is false.
 */
function fold(n: Node): Node {
  if (typeof n !== 'object' || n === null || Array.isArray(n) || Object.keys(n).length !== 1) return n
  const [k] = Object.keys(n)
  const v = (n as Record<string, Record<string, Node>>)[k!]!
  if (k === '!') { const c = constant(v.arg); return c === undefined ? n : { Value: !c } }
  if (k === '&&' || k === '||') {
    const short = k === '||'
    const l = constant(v.left)
    if (l === short) return { Value: short }
    if (l === !short) return v.right
    if (constant(v.right) === !short) return v.left
    return n
  }
  if (k === 'if-then-else') { const c = constant(v.if); return c === undefined ? n : c ? v.then : v.else }
  return n
}

/** Replaces every test of `attr` by its answer for `value` (undefined: none of the literals) and folds; `ok` false if `attr` is used otherwise. */
function substitute(n: Node, attr: string, value: string | undefined, state: { ok: boolean; literals: Set<string> }): Node {
  if (Array.isArray(n)) return n.map((x) => substitute(x, attr, value, state))
  if (typeof n !== 'object' || n === null) return n
  const keys = Object.keys(n)
  const o = n as Record<string, unknown>
  if (keys.length === 1) {
    const k = keys[0]!
    if (k === 'Value') return n
    if (k === 'Var') { if (o.Var === 'context') state.ok = false; return n }
    if (k === 'Record' && typeof o.Record === 'object' && o.Record !== null) {
      return { Record: Object.fromEntries(Object.entries(o.Record).map(([a, x]) => [a, substitute(x, attr, value, state)])) }
    }
    const test = partitionTest(n, attr)
    if (test) {
      state.literals.add(test.literal)
      return { Value: (value === test.literal) !== test.negated }
    }
    const access = o[k] as { left?: Node; attr?: unknown } | undefined
    if ((k === '.' || k === 'has') && typeof access === 'object' && access !== null && isContext(access.left)) {
      if (access.attr !== attr) return n
      if (k === 'has') return TRUE // the request always carries it
      state.ok = false
      return n
    }
  }
  return fold(Object.fromEntries(keys.map((k) => [k, substitute(o[k], attr, value, state)])))
}

/** The context attributes a (rewritten) subset reads. */
function readsOf(policies: Record<string, PolicyJson>): ReadonlySet<string> | 'all' {
  const state: State = { reads: new Set(), lowerable: true }
  for (const p of Object.values(policies)) for (const c of p.conditions) walk(c.body, new Set(), state)
  return state.reads
}

/**
 * The subset for one value of `attr`: conditions substituted and folded; a policy whose conditions, taken in
 * order, are constant until one that can never hold is dropped (it could neither match nor raise an error).
 */
function partitionFor(policies: Record<string, PolicyJson>, attr: string, value: string | undefined, state: { ok: boolean; literals: Set<string> }): LongForm {
  const out: Record<string, PolicyJson> = {}
  for (const [id, p] of Object.entries(policies)) {
    const conditions = p.conditions.map((c) => ({ ...c, body: substitute(c.body, attr, value, state) as never }))
    let never = false
    for (const c of conditions) {
      const holds = constant(c.body)
      if (holds === undefined) break
      if (holds !== (c.kind === 'when')) { never = true; break }
    }
    if (!never) out[id] = { ...p, conditions }
  }
  return { policies: out, reads: readsOf(out) }
}

function partition(policies: Record<string, PolicyJson>, attr: string): LongForms | undefined {
  const state = { ok: true, literals: new Set<string>() }
  const other = partitionFor(policies, attr, undefined, state)
  // Each value is one more preparsed copy of the subset: a long list of assets is left to the `other` form.
  if (!state.ok || state.literals.size === 0 || state.literals.size > MAX_PARTITIONS) return undefined
  const byValue = new Map([...state.literals].map((v) => [v, partitionFor(policies, attr, v, state)]))
  return { attribute: attr, byValue, other }
}

/**
 * Specializes a policy subset (id → text) whose requests carry the decimal context attributes `decimals`. The
 * texts have already parsed and validated, so a text that does not turn into JSON only means no rewrite.
 */
export function specialize(texts: Readonly<Record<string, string>>, decimals: ReadonlySet<string>): Specialized {
  const state: State = { reads: new Set(), lowerable: true }
  const longPolicies: Record<string, PolicyJson> = {}
  for (const [id, text] of Object.entries(texts)) {
    const json = policyToJson(text)
    if (json.type === 'failure') return { reads: 'all' }
    longPolicies[id] = { ...json.json, conditions: json.json.conditions.map((c) => ({ ...c, body: walk(c.body, decimals, state) as never })) }
  }
  if (!state.lowerable || decimals.size === 0) return { reads: state.reads }
  const long = partition(longPolicies, PARTITION) ?? { byValue: new Map(), other: { policies: longPolicies, reads: state.reads } }
  return { long, reads: state.reads }
}
