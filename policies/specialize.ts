import { policyToJson, type PolicyJson } from '@cedar-policy/cedar-wasm/nodejs'

/**
 * A faster form of a policy subset for cedar-wasm, computed once when the set is loaded. Four things cost most of
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
 *   Long form is made once per asset the policies name ({@link LongForms}), with those tests already answered;
 * - **each policy**, about 2 µs even when its condition is false, and 1 µs more for an action scope: so each
 *   form comes in variants ({@link Variant}) for the values of its Booleans (`destinationAllowlisted`) and the
 *   classes of its Longs compared only with literals (`hourUtc < 7`: below 7, 7, above), with those facts
 *   folded in, policies that can no longer match dropped, and the attributes no longer passed. Variants that fold
 *   alike share one preparsed set (19 for the shipped policies' 300 variants).
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

/** One form of the subset (for one value of the partitioning attribute), with the context attributes it reads. */
export interface LongForm {
  policies: Record<string, PolicyJson>
  reads: ReadonlySet<string> | 'all'
  /** The attributes whose values are folded into {@link variants}, in index order; see {@link variantIndex}. */
  facts: readonly Fact[]
  /** What is passed to cedar-wasm, one per combination of the facts' classes. See {@link Variant}. */
  variants: readonly Variant[]
}

/** A form before its variants are made. */
type BaseForm = Omit<LongForm, 'variants' | 'facts'>

/**
 * A context attribute the variants fold in. A Boolean (no `literals`) has two classes, false and true. A Long that
 * policies only compare with Long literals has one class per literal and one per gap around them: for literals
 * 7 and 19, below 7, 7, between, 19, above 19. Within a class every such comparison has one answer.
 */
export interface Fact {
  attribute: string
  /** The literals a Long is compared with, ascending. */
  literals?: readonly number[]
}

/** The class of `value` for a fact: 0/1 for a Boolean; for a Long, 2i below the i-th literal, 2i + 1 equal to it. */
function classOf(fact: Fact, value: unknown): number {
  if (fact.literals === undefined) return value === true ? 1 : 0
  let c = 0
  for (const l of fact.literals) {
    if ((value as number) < l) return c
    if (value === l) return c + 1
    c += 2
  }
  return c
}

const classCount = (fact: Fact): number => fact.literals === undefined ? 2 : 2 * fact.literals.length + 1

/**
 * Which variant of a form a request's context needs (the request builder passes the context as written, before
 * renaming). The builder guarantees each fact's type: Booleans are true or false, Longs are JS integers.
 */
export function variantIndex(facts: readonly Fact[], context: Readonly<Record<string, unknown>>): number {
  let index = 0
  let scale = 1
  for (const f of facts) {
    index += classOf(f, context[f.attribute]) * scale
    scale *= classCount(f)
  }
  return index
}

/**
 * A form as cedar-wasm gets it. The facts' values (a Boolean's value, a Long's class) are substituted and folded
 * like the partition's;
 * the annotations are gone (the decision reads them from the texts, by policy id); an action scope naming the one
 * action all requests of the subset carry becomes `action`; and each context attribute read is renamed to a
 * one-letter name, since cedar-wasm's cost per attribute grows with its name. `pass` lists, for each attribute
 * the variant reads, its name in the request and the name to pass it under.
 */
export interface Variant {
  policies: Record<string, PolicyJson>
  pass: ReadonlyArray<readonly [from: string, to: string]>
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
/** At most this many variants of one form; past it, fewer facts are folded. */
const MAX_FORM_VARIANTS = 64
/** At most this many variants of all forms together; past it, only Booleans are folded, then none. */
const MAX_VARIANTS = 512
const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b, '==': (a, b) => a === b, '!=': (a, b) => a !== b,
}
const MIRROR: Readonly<Record<string, string>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' }

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

/** A read of the context: `context.<attr>` (`.`) or `context has <attr>` (`has`). */
interface ContextAccess { kind: '.' | 'has'; attr: string }

function contextAccess(n: Node): ContextAccess | undefined {
  if (typeof n !== 'object' || n === null || Array.isArray(n)) return undefined
  const keys = Object.keys(n)
  if (keys.length !== 1 || (keys[0] !== '.' && keys[0] !== 'has')) return undefined
  const access = (n as Record<string, { left?: Node; attr?: unknown } | undefined>)[keys[0]]
  if (typeof access !== 'object' || access === null || !isContext(access.left) || typeof access.attr !== 'string') return undefined
  return { kind: keys[0], attr: access.attr }
}

/**
 * Rebuilds an expression (a policy condition's JSON) bottom-up. `visit` sees every node first, with its context
 * access if it is one, and may answer it: the answer replaces the node and its children are not visited. Literals
 * and variables are kept; a record literal's keys are attribute names, not expressions, so only its values are
 * walked. `after` runs on each rebuilt node (the substitutions fold there).
 */
function rewrite(n: Node, visit: (n: Node, access: ContextAccess | undefined) => Node | undefined, after: (n: Node) => Node = (x) => x): Node {
  if (Array.isArray(n)) return n.map((x) => rewrite(x, visit, after))
  if (typeof n !== 'object' || n === null) return n
  const answer = visit(n, contextAccess(n))
  if (answer !== undefined) return answer
  const keys = Object.keys(n)
  const o = n as Record<string, unknown>
  if (keys.length === 1) {
    if (keys[0] === 'Value' || keys[0] === 'Var') return n
    if (keys[0] === 'Record' && typeof o.Record === 'object' && o.Record !== null) {
      return { Record: Object.fromEntries(Object.entries(o.Record).map(([a, x]) => [a, rewrite(x, visit, after)])) }
    }
  }
  return after(Object.fromEntries(keys.map((k) => [k, rewrite(o[k], visit, after)])))
}

/** Replaces every test of `attr` by its answer for `value` (undefined: none of the literals) and folds; `ok` false if `attr` is used otherwise. */
function substitute(n: Node, attr: string, value: string | undefined, state: { ok: boolean; literals: Set<string> }): Node {
  return rewrite(n, (node, access) => {
    if ((node as { Var?: unknown }).Var === 'context') { state.ok = false; return node }
    const test = partitionTest(node, attr)
    if (test) {
      state.literals.add(test.literal)
      return { Value: (value === test.literal) !== test.negated }
    }
    if (!access) return undefined
    if (access.attr !== attr) return node
    if (access.kind === 'has') return TRUE // the request always carries it
    state.ok = false
    return node
  }, fold)
}

/** The context attributes a policy reads or tests with `has`; `all` when it uses `context` as a whole. */
export function contextReads(policy: PolicyJson): ReadonlySet<string> | 'all' {
  return readsOf({ policy })
}

/** The context attributes a (rewritten) subset reads. */
function readsOf(policies: Record<string, PolicyJson>): ReadonlySet<string> | 'all' {
  const state: State = { reads: new Set(), lowerable: true }
  for (const p of Object.values(policies)) for (const c of p.conditions) walk(c.body, new Set(), state)
  return state.reads
}

/** Drops each policy whose conditions, taken in order, are constant until one that can never hold (it could neither match nor raise an error). */
function dropNever(policies: Record<string, PolicyJson>, body: (n: Node) => Node): Record<string, PolicyJson> {
  const out: Record<string, PolicyJson> = {}
  for (const [id, p] of Object.entries(policies)) {
    const conditions = p.conditions.map((c) => ({ ...c, body: body(c.body) as never }))
    let never = false
    for (const c of conditions) {
      const holds = constant(c.body)
      if (holds === undefined) break
      if (holds !== (c.kind === 'when')) { never = true; break }
    }
    if (!never) out[id] = { ...p, conditions }
  }
  return out
}

/** The subset for one value of `attr`: conditions substituted and folded, policies that cannot match dropped. */
function partitionFor(policies: Record<string, PolicyJson>, attr: string, value: string | undefined, state: { ok: boolean; literals: Set<string> }): BaseForm {
  const out = dropNever(policies, (b) => substitute(b, attr, value, state))
  return { policies: out, reads: readsOf(out) }
}

const contextAttr = (n: Node): string | undefined => {
  const dot = typeof n === 'object' && n !== null && Object.keys(n).length === 1 ? (n as { '.'?: { left?: Node; attr?: unknown } })['.'] : undefined
  return dot && isContext(dot.left) && typeof dot.attr === 'string' ? dot.attr : undefined
}
const longLiteral = (n: Node): number | undefined => {
  const v = typeof n === 'object' && n !== null && Object.keys(n).length === 1 ? (n as { Value?: unknown }).Value : undefined
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined
}

/** `context.<attr> op literal` or `literal op context.<attr>` (op a comparison), as `attr op literal`. */
function literalComparison(n: Node): { attr: string; op: string; literal: number } | undefined {
  if (typeof n !== 'object' || n === null || Array.isArray(n) || Object.keys(n).length !== 1) return undefined
  const [op] = Object.keys(n)
  if (COMPARE[op!] === undefined) return undefined
  const { left, right } = (n as Record<string, { left?: Node; right?: Node }>)[op!]!
  const l = contextAttr(left)
  const r = longLiteral(right)
  if (l !== undefined && r !== undefined) return { attr: l, op: op!, literal: r }
  const rl = contextAttr(right)
  const ll = longLiteral(left)
  if (rl !== undefined && ll !== undefined) return { attr: rl, op: MIRROR[op!]!, literal: ll }
  return undefined
}

/**
 * The literals each of `candidates` is compared with, for those that policies use only that way (or test with
 * `has`, which always holds: the builder always passes them).
 */
function longFacts(policies: Record<string, PolicyJson>, candidates: ReadonlySet<string>): Map<string, number[]> {
  const literals = new Map([...candidates].map((a) => [a, new Set<number>()]))
  const spoiled = new Set<string>()
  // Walked for what it finds, not rebuilt: each visit answers the node it stops at.
  const visit = (n: Node, access: ContextAccess | undefined): Node | undefined => {
    const cmp = literalComparison(n)
    if (cmp && literals.has(cmp.attr)) { literals.get(cmp.attr)!.add(cmp.literal); return n }
    if (access?.kind === '.') spoiled.add(access.attr)
    return access && n
  }
  for (const p of Object.values(policies)) for (const c of p.conditions) rewrite(c.body, visit)
  return new Map([...literals].filter(([a, ls]) => !spoiled.has(a) && ls.size > 0).map(([a, ls]) => [a, [...ls].sort((x, y) => x - y)]))
}

/** A value in class `c` of a Long fact (or, for a class no integer falls in, one the builder never asks for). */
function representative(literals: readonly number[], c: number): number {
  if (c % 2 === 1) return literals[(c - 1) / 2]!
  const j = c / 2
  return j < literals.length ? literals[j]! - 1 : literals[literals.length - 1]! + 1
}

/**
 * Replaces what the facts decide: a Boolean's reads by its value, a Long's comparisons with literals by their
 * answers, `has` of either by true; folding as it goes.
 */
function substituteFacts(n: Node, booleans: ReadonlyMap<string, boolean>, longs: ReadonlyMap<string, number>): Node {
  return rewrite(n, (node, access) => {
    const cmp = literalComparison(node)
    const v = cmp && longs.get(cmp.attr)
    if (cmp && v !== undefined) return { Value: COMPARE[cmp.op]!(v, cmp.literal) }
    if (!access) return undefined
    if (access.kind === 'has' && (booleans.has(access.attr) || longs.has(access.attr))) return TRUE
    const b = booleans.get(access.attr)
    return b === undefined ? node : { Value: b }
  }, fold)
}

/** Renames every context attribute read by `names`. */
function rename(n: Node, names: ReadonlyMap<string, string>): Node {
  return rewrite(n, (node, access) => {
    if (!access) return undefined
    const k = access.kind
    return { [k]: { ...(node as Record<string, object>)[k], attr: names.get(access.attr) ?? access.attr } }
  })
}

/** Short names for the attributes, in a fixed order: a, b, … z, a1, b1, … */
function shortNames(attrs: Iterable<string>): Map<string, string> {
  return new Map([...attrs].sort().map((a, i) => [a, `${String.fromCharCode(97 + (i % 26))}${i >= 26 ? Math.floor(i / 26) : ''}`]))
}

/** An entity reference in a policy's JSON scope, either spelling. */
function entityRef(e: unknown): { type?: unknown; id?: unknown } | undefined {
  if (typeof e !== 'object' || e === null) return undefined
  const inner = (e as { __entity?: unknown }).__entity
  return (typeof inner === 'object' && inner !== null ? inner : e) as { type?: unknown; id?: unknown }
}

/** The facts a form folds in: its Booleans, then its Longs compared only with literals, while the variants stay within `budget`. */
function factsOf(form: BaseForm, opts: SpecializeOptions, longs: boolean): Fact[] {
  if (form.reads === 'all') return []
  const reads = form.reads
  const facts: Fact[] = []
  let count = 1
  const add = (f: Fact) => {
    if (count * classCount(f) > MAX_FORM_VARIANTS) return
    facts.push(f)
    count *= classCount(f)
  }
  for (const b of [...reads].filter((a) => opts.booleans?.has(a)).sort()) add({ attribute: b })
  if (longs) {
    const candidates = new Set([...reads].filter((a) => opts.longs?.has(a)))
    for (const [attribute, literals] of [...longFacts(form.policies, candidates)].sort(([a], [b]) => (a < b ? -1 : 1))) add({ attribute, literals })
  }
  return facts
}

/** The variants of one form: see {@link Variant}. */
function variantsOf(form: BaseForm, facts: readonly Fact[], names: ReadonlyMap<string, string>, action: ActionRef | undefined): Variant[] {
  const count = facts.reduce((n, f) => n * classCount(f), 1)
  return Array.from({ length: count }, (_, index) => {
    const booleans = new Map<string, boolean>()
    const longs = new Map<string, number>()
    let rest = index
    for (const f of facts) {
      const c = rest % classCount(f)
      rest = (rest - c) / classCount(f)
      if (f.literals === undefined) booleans.set(f.attribute, c === 1)
      else longs.set(f.attribute, representative(f.literals, c))
    }
    const folded = facts.length === 0 ? form.policies : dropNever(form.policies, (b) => substituteFacts(b, booleans, longs))
    const policies: Record<string, PolicyJson> = {}
    for (const [id, p] of Object.entries(folded)) {
      const scope = p.action as { op?: unknown; entity?: unknown }
      const e = scope.op === '==' ? entityRef(scope.entity) : undefined
      const anyAction = action !== undefined && e?.type === action.type && e.id === action.id
      policies[id] = { ...p, annotations: {}, ...(anyAction ? { action: { op: 'All' } } : {}),
        conditions: p.conditions.map((c) => ({ ...c, body: rename(c.body, names) as never })) } as PolicyJson
    }
    const reads = readsOf(folded)
    return { policies, pass: reads === 'all' ? [] : [...reads].map((a) => [a, names.get(a) ?? a] as const) }
  })
}

function partition(policies: Record<string, PolicyJson>, attr: string): { byValue: Map<string, BaseForm>; other: BaseForm } | undefined {
  const state = { ok: true, literals: new Set<string>() }
  const other = partitionFor(policies, attr, undefined, state)
  // Each value is one more preparsed copy of the subset: a long list of assets is left to the `other` form.
  if (!state.ok || state.literals.size === 0 || state.literals.size > MAX_PARTITIONS) return undefined
  const byValue = new Map([...state.literals].map((v) => [v, partitionFor(policies, attr, v, state)]))
  return { byValue, other }
}

/** The one action every request of a subset carries, `{ type: "Sigil::Action", id: "CreateTransfer" }`. */
export interface ActionRef { type: string; id: string }

/** What, besides the decimals, {@link specialize} may fold: Boolean context attributes, and the action. */
export interface SpecializeOptions {
  /** Context attributes the schema declares Bool, which the request builder always passes as true or false. */
  booleans?: ReadonlySet<string>
  /** Context attributes the schema declares Long, which the request builder always passes as JS integers. */
  longs?: ReadonlySet<string>
  /** The action of every request evaluated against the forms. */
  action?: ActionRef
}

/**
 * Specializes a policy subset (id → text) whose requests carry the decimal context attributes `decimals`. The
 * texts have already parsed and validated, so a text that does not turn into JSON only means no rewrite.
 */
export function specialize(texts: Readonly<Record<string, string>>, decimals: ReadonlySet<string>, opts: SpecializeOptions = {}): Specialized {
  const state: State = { reads: new Set(), lowerable: true }
  const longPolicies: Record<string, PolicyJson> = {}
  for (const [id, text] of Object.entries(texts)) {
    const json = policyToJson(text)
    if (json.type === 'failure') return { reads: 'all' }
    longPolicies[id] = { ...json.json, conditions: json.json.conditions.map((c) => ({ ...c, body: walk(c.body, decimals, state) as never })) }
  }
  if (!state.lowerable || decimals.size === 0 || state.reads === 'all') return { reads: state.reads }
  const split = partition(longPolicies, PARTITION)
  const forms = split ?? { byValue: new Map<string, BaseForm>(), other: { policies: longPolicies, reads: state.reads } }
  const all = [...forms.byValue.values(), forms.other]
  // Every form's facts; past the budget for all forms, only the Booleans, then none.
  let facts = all.map((f) => factsOf(f, opts, true))
  const total = (fs: Fact[][]) => fs.reduce((n, x) => n + x.reduce((m, f) => m * classCount(f), 1), 0)
  if (total(facts) > MAX_VARIANTS) facts = all.map((f) => factsOf(f, opts, false))
  if (total(facts) > MAX_VARIANTS) facts = all.map(() => [])
  const names = shortNames(state.reads)
  const factsFor = new Map(all.map((f, i) => [f, facts[i]!]))
  const withVariants = (f: BaseForm): LongForm => {
    const fs = factsFor.get(f)!
    return { ...f, facts: fs, variants: variantsOf(f, fs, names, opts.action) }
  }
  const long: LongForms = {
    ...(split ? { attribute: PARTITION } : {}),
    byValue: new Map([...forms.byValue].map(([v, f]) => [v, withVariants(f)])),
    other: withVariants(forms.other),
  }
  return { long, reads: state.reads }
}
