/**
 * Differential fuzzer for the specialized policy forms (policies/specialize.ts): generates random policy sets that
 * pass validation against the shipped schema, and random transfer inputs, and compares the engine's decision (the
 * fast forms and their variants) with the reference (the policies as written, whole context, decimals), messages
 * included. Prints each divergence with its policy set cut down to the policies that still diverge, then a summary
 * line; exits 1 if any was found. Not part of `npm test` (a useful run takes minutes): run it after any change to
 * specialize.ts, with a few seeds.
 *
 *   node --import tsx scripts/fuzzPolicyForms.ts <seed> <sets> [inputsPerSet]     e.g. 31 3500 40 (about 14 min)
 *
 * FZ_SHOW=1 prints the generated sets instead; FZ_REJ=1 prints generated policies the validator refused.
 * Written by a reviewing helper on 2026-12-07; 18 000 sets and 720 000 cases found no divergence. Since the time
 * zone (@timeZone, hourLocal, weekdayLocal), each set gets a zone and inputs fall around changes to summer time.
 */
import { isDeepStrictEqual } from 'node:util'
import { evaluateApprovalRequest } from '../policies/approval.ts'
import { transferRequest, type ApprovalInput } from '../policies/approvalContext.ts'
import { preparse } from '../policies/cedar.ts'
import { compilePolicyTexts, validatePolicySet } from '../policies/policySet.ts'
import { createPolicyEngine, type PolicyEngine } from '../policies/engine.ts'
import { shippedSchema } from '../policies/testing.ts'

const SCHEMA = shippedSchema()
const seed = Number(process.argv[2] ?? 1)
const SETS = Number(process.argv[3] ?? 200)
const INPUTS = Number(process.argv[4] ?? 60)

function rng(s0: number) {
  // mulberry32
  let a = (Math.imul(s0 ^ 0x9e3779b9, 0x85ebca6b) ^ 0x27d4eb2f) >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
let R = rng(seed)
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(R() * xs.length)]!
const chance = (p: number) => R() < p
const int = (a: number, b: number) => a + Math.floor(R() * (b - a + 1))

const ASSETS = ['btc', 'eth', 'sol', 'usdc', 'usdt', 'doge', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', 'a', '']
const CHAINS = ['ethereum', 'bitcoin', 'solana']
const DESTS = ['0x52908400098527886e0f7030069857d2e4169ee7', '0x000000000000000000000000000000000000dead', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', '10.1.2.3', '::1']
const DEC_LITS = ['0.0', '1.0', '5.0', '20.0', '25.0', '100.0', '500.0', '2500.0', '3.0001', '10.5', '0.0001', '-1.0', '-0.5', '1000000.0', '900719925474.0991', '0.5']
const STR_ATTRS = ['asset', 'chain', 'destination']
const BOOL_ATTRS = ['destinationAllowlisted', 'beneficiaryVerified']
const LONG_ATTRS = ['hourUtc', 'weekdayUtc', 'hourLocal', 'weekdayLocal']
const WEEKDAY_ATTRS = ['weekdayUtc', 'weekdayLocal']
/** The set's zone (none: local = UTC): daylight saving time, half-hour offsets, a half-hour DST shift (Lord Howe). */
const ZONES = [undefined, 'UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Kiritimati']
let zone: string | undefined
const DEC_ATTRS = ['amount', 'dayTotal']
const UNDECLARED = ['a', 'b', 'foo', 'zz', 'h', 'i', 'j']
const REC_KEYS = ['a', 'b', 'h', 'Value', 'Var', 'amount', 'hourUtc', 'hourLocal', '__proto__', '.', 'has', '<']

let assetPool: string[] = ASSETS.slice(0, 7)
let hourPool: number[] = []
let weekPool: number[] = []
let usedDecs: string[] = []
let usedAssets: string[] = []
let usedHours: number[] = []

const ctx = (a: string) => chance(0.9) ? `context.${a}` : `context["${a}"]`
const q = (s: string) => JSON.stringify(s)

function longLit(attr?: string): string {
  const r = R()
  let v: number
  if ((attr !== undefined && WEEKDAY_ATTRS.includes(attr)) || (attr === undefined && chance(0.3))) v = r < 0.9 ? pick(weekPool) : pick([-5, 100, 9007199254740991, -9007199254740991])
  else v = r < 0.9 ? pick(hourPool) : pick([-5, 100, 9007199254740991, -9007199254740991, 25])
  usedHours.push(v)
  if (v < 0 && chance(0.2)) return `-(${-v})`
  return String(v)
}

function genLong(d: number): string {
  const r = R()
  if (d <= 0 || r < 0.35) return ctx(pick(LONG_ATTRS))
  if (r < 0.6) return longLit()
  if (r < 0.68) return `(${genLong(d - 1)} + ${genLong(d - 1)})`
  if (r < 0.74) return `(${genLong(d - 1)} - ${longLit()})`
  if (r < 0.78) return `(${genLong(d - 1)} * ${pick(['2', '1024', '9007199254740991'])})`
  if (r < 0.82) return `(-${genLong(d - 1)})`
  if (r < 0.9) return `(if ${genBool(d - 1)} then ${genLong(d - 1)} else ${genLong(d - 1)})`
  if (r < 0.95) { const k = pick(REC_KEYS); return `{${q(k)}: ${genLong(d - 1)}, "z": ${genBool(d - 1)}}[${q(k)}]` }
  return `${genLong(d - 1)}`
}

function decLit(): string { const v = pick(DEC_LITS); usedDecs.push(v); return `decimal("${v}")` }
function genDec(d: number): string {
  const r = R()
  if (r < 0.55) return ctx(pick(DEC_ATTRS))
  if (r < 0.95 || d <= 0) return decLit()
  return `(if ${genBool(d - 1)} then ${genDec(d - 1)} else ${genDec(d - 1)})`
}

function strLit(attr: string): string {
  if (attr === 'asset') { const a = chance(0.9) ? pick(assetPool) : pick(ASSETS); usedAssets.push(a); return q(a) }
  if (attr === 'chain') return q(pick(CHAINS))
  return q(pick(DESTS))
}
function genStr(d: number): string {
  const a = pick(STR_ATTRS)
  const r = R()
  if (r < 0.7 || d <= 0) return ctx(a)
  if (r < 0.85) return strLit(a)
  return `(if ${genBool(d - 1)} then ${ctx(a)} else ${strLit(a)})`
}

const CMP = ['<', '<=', '>', '>=', '==', '!=']
const DCMP = ['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual']

function genBool(d: number): string {
  const r = R()
  if (d <= 0) {
    const t = R()
    if (t < 0.3) { const a = pick(LONG_ATTRS); return chance(0.7) ? `${ctx(a)} ${pick(CMP)} ${longLit(a)}` : `${longLit(a)} ${pick(CMP)} ${ctx(a)}` }
    if (t < 0.55) { const a = chance(0.8) ? 'asset' : pick(STR_ATTRS); return chance(0.8) ? `${ctx(a)} ${pick(['==', '!='])} ${strLit(a)}` : `${strLit(a)} == ${ctx(a)}` }
    if (t < 0.7) return ctx(pick(BOOL_ATTRS))
    if (t < 0.85) return chance(0.8) ? `${ctx(pick(DEC_ATTRS))}.${pick(DCMP)}(${decLit()})` : `${decLit()}.${pick(DCMP)}(${ctx(pick(DEC_ATTRS))})`
    if (t < 0.87) return `context has ${q(pick([...LONG_ATTRS, ...BOOL_ATTRS, 'asset', '__proto__', 'a', 'hour Utc']))}`
    if (t < 0.9) return `context has ${chance(0.6) ? pick([...LONG_ATTRS, ...BOOL_ATTRS, ...STR_ATTRS, ...DEC_ATTRS]) : pick(UNDECLARED)}`
    return pick(['true', 'false'])
  }
  if (r < 0.12) return `(${genBool(d - 1)} && ${genBool(d - 1)})`
  if (r < 0.22) return `(${genBool(d - 1)} || ${genBool(d - 1)})`
  if (r < 0.28) return `!(${genBool(d - 1)})`
  if (r < 0.32) return `(if ${genBool(d - 1)} then ${genBool(d - 1)} else ${genBool(d - 1)})`
  if (r < 0.36) return `(${genBool(d - 1)} ${pick(['==', '!='])} ${genBool(d - 1)})`
  if (r < 0.44) return `(${genLong(d - 1)} ${pick(CMP)} ${genLong(d - 1)})`
  if (r < 0.48) return `(${genStr(d - 1)} ${pick(['==', '!='])} ${genStr(d - 1)})`
  if (r < 0.52) return `${genDec(d - 1)}.${pick(DCMP)}(${genDec(d - 1)})`
  if (r < 0.58) {
    const a = pick([...STR_ATTRS, 'asset', 'asset', ...LONG_ATTRS, ...BOOL_ATTRS])
    const n = chance(0.1) ? 17 : int(1, 3)
    const lit = () => LONG_ATTRS.includes(a) ? longLit(a) : BOOL_ATTRS.includes(a) ? pick(['true', 'false']) : strLit(a)
    const items = Array.from({ length: n }, lit)
    if (chance(0.15)) items.push(ctx(a))
    return `[${items.join(', ')}].contains(${ctx(a)})`
  }
  if (r < 0.61) return `[${genLong(d - 1)}, ${longLit()}].${pick(['containsAll', 'containsAny'])}([${genLong(d - 1)}])`
  if (r < 0.63) return `[${genBool(d - 1)}].contains(${genBool(d - 1)})`
  if (r < 0.66) return `${ctx(pick(STR_ATTRS))} like ${pick(['"0x*"', '"*"', '"b*c"', '"eth"', '"*dead"', '"a"', '"\\**"', '"c\\*"', '"*1*"'])}`
  if (r < 0.70) { const k = pick(REC_KEYS); return `{${q(k)}: ${genBool(d - 1)}, "y": ${genLong(d - 1)}}[${q(k)}]` }
  if (r < 0.72) { const k = pick(REC_KEYS); return `{${q(k)}: ${genLong(d - 1)}} has ${chance(0.5) ? q(k) : q(pick(REC_KEYS))}` }
  if (r < 0.74) return `({"h": ${genLong(d - 1)}, "a": ${genBool(d - 1)}} == {"h": ${longLit()}, "a": ${pick(['true', 'false'])}})`
  if (r < 0.77) return pick(['principal.roles.contains("x")', 'principal is Sigil::User', 'resource in Sigil::Wallet::"hot-1"', 'resource is Sigil::Account', 'principal in Sigil::Group::"g"', 'resource == Sigil::Account::"acct-7"'])
  if (r < 0.79) return pick(['action == Sigil::Action::"CreateTransfer"', 'action in [Sigil::Action::"CreateTransfer", Sigil::Action::"ChangePolicy"]', 'action == Sigil::Action::"ChangePolicy"'])
  if (r < 0.81) return pick(['ip(context.destination).isIpv4()', 'ip(context.destination).isLoopback()', 'ip("10.0.0.0/8").isInRange(ip(context.destination))'])
  if (r < 0.83) return pick([`(context has zz && (${ctx('hourUtc')} == "x"))`, `(context has hourUtc || (1 && true))`, `(context has zz && ${ctx('amount')} == 3)`,
    `(context has foo && (${ctx('destinationAllowlisted')} < 5))`, `(action == Sigil::Action::"ChangePolicy" && ${ctx('hourUtc')}.lessThan(decimal("1.0")))`,
    `(context has destinationAllowlisted || ${ctx('asset')} < 4)`])
  if (r < 0.85) return `(${ctx(pick(['hourUtc', 'hourLocal']))} * 9007199254740991 * 1024 ${pick(CMP)} ${longLit()})`
  return genBool(0)
}

// Structured, shipped-like conditions: no spoilers of the partition or of the facts.
function factCond(d: number): string {
  const r = R()
  if (d <= 0 || r < 0.3) {
    const t = R()
    if (t < 0.35) { const a = pick(LONG_ATTRS); return chance(0.75) ? `${ctx(a)} ${pick(CMP)} ${longLit(a)}` : `${longLit(a)} ${pick(CMP)} ${ctx(a)}` }
    if (t < 0.55) return ctx(pick(BOOL_ATTRS))
    if (t < 0.8) return `${ctx(pick(DEC_ATTRS))}.${pick(DCMP)}(${decLit()})`
    if (t < 0.85) return `context has ${pick([...LONG_ATTRS, ...BOOL_ATTRS, 'asset', 'zz'])}`
    if (t < 0.9) { const a = pick(['hourUtc', 'hourLocal']); return `[${Array.from({ length: int(1, 4) }, () => longLit(a)).join(', ')}].contains(context.${a})` }
    if (t < 0.93) return pick(['principal.roles.contains("x")', '(context.hourUtc * 9007199254740991 * 1024 > 0)', 'ip(context.destination).isIpv4()', '(context.hourLocal != context.hourUtc)'])
    return `${ctx('destination')} == ${strLit('destination')}`
  }
  if (r < 0.5) return `(${factCond(d - 1)} && ${factCond(d - 1)})`
  if (r < 0.7) return `(${factCond(d - 1)} || ${factCond(d - 1)})`
  if (r < 0.8) return `!(${factCond(d - 1)})`
  if (r < 0.9) return `(if ${factCond(d - 1)} then ${factCond(d - 1)} else ${factCond(d - 1)})`
  return `(${factCond(d - 1)} ${pick(['==', '!='])} ${factCond(d - 1)})`
}
function assetCond(d: number): string {
  const n = int(1, Math.min(6, assetPool.length))
  const terms = Array.from({ length: n }, () => {
    const a = pick(assetPool); usedAssets.push(a)
    const test = chance(0.8) ? `context.asset == ${q(a)}` : `context.asset != ${q(a)}`
    return chance(0.2) ? test : `(${test} && ${factCond(d)})`
  })
  if (chance(0.2)) terms.push(`!([${assetPool.slice(0, 5).map(q).join(', ')}].contains(context.asset))`)
  return terms.join(' || ')
}
let structured = false

const GROUPS = ['treasury', 'risk', 'ops']
function genPolicy(i: number): string {
  const forbid = chance(0.35)
  const id = `p${i}`
  const ann = forbid ? `@id("${id}") @reason("r${i}")`
    : chance(0.1) ? `@id("${id}") @requirement("beneficiary_kyc") @reason("kyc${i}")`
      : `@id("${id}") @group("${pick(GROUPS)}") @quorum("${int(1, 3)}")${chance(0.3) ? ' @separationOfDuties("true")' : ''}${chance(0.5) ? ` @reason("why${i}")` : ''}`
  const principal = pick(['principal', 'principal', 'principal', 'principal is Sigil::User', 'principal == Sigil::ApiClient::"wallet-backend"', 'principal in Sigil::Group::"g"', 'principal is Sigil::ApiClient', 'principal is Sigil::User in Sigil::Group::"g"'])
  const action = chance(0.8) ? 'action == Sigil::Action::"CreateTransfer"' : pick(['action', 'action in [Sigil::Action::"CreateTransfer"]', 'action in [Sigil::Action::"CreateTransfer", Sigil::Action::"ChangePolicy"]', 'action in Sigil::Action::"CreateTransfer"'])
  const resource = pick(['resource', 'resource', 'resource', 'resource in Sigil::Wallet::"hot-1"', 'resource is Sigil::Account', 'resource == Sigil::Wallet::"hot-1"'])
  const n = chance(0.15) ? 0 : int(1, 3)
  const conds = Array.from({ length: n }, () => `${chance(0.75) ? 'when' : 'unless'} { ${structured ? (chance(0.6) ? assetCond(int(0, 3)) : factCond(int(0, 3))) : genBool(int(0, 4))} }`)
  const body = `${forbid ? 'forbid' : 'permit'} (${principal}, ${action}, ${resource})\n${conds.join('\n')};`
  // Every policy reading local time names the set's zone (one that only mentions it is refused and replaced).
  const tz = zone !== undefined && /Local/.test(body) ? ` @timeZone("${zone}")` : ''
  return `${ann}${tz}\n${body}`
}

const extra: string[] = []
function genSet(): string | undefined {
  usedDecs = []; usedAssets = []; usedHours = []
  const na = pick([3, 7, 7, 12, 20, 33])
  assetPool = [...ASSETS.slice(0, 7), ...Array.from({ length: 40 }, (_, i) => `c${i}`)].slice(0, na)
  hourPool = Array.from({ length: pick([1, 2, 3, 5, 8, 12]) }, () => int(-1, 24))
  zone = pick(ZONES)
  weekPool = Array.from({ length: pick([1, 2, 3, 5]) }, () => int(-1, 7))
  if (chance(0.1)) {
    // a wide policy: many assets and hour literals, to reach the variant budgets
    const assets = assetPool.map((a) => `context.asset == ${q(a)}`).join(' || ')
    const hour = zone !== undefined && chance(0.5) ? 'hourLocal' : 'hourUtc'
    const hours = hourPool.map((h) => `context.${hour} ${pick(CMP)} ${h}`).join(pick([' || ', ' && ']))
    extra.push(`@id("wide") @group("ops") @quorum("1")${hour === 'hourLocal' ? ` @timeZone("${zone}")` : ''}\npermit (principal, action == Sigil::Action::"CreateTransfer", resource) when { (${assets}) && (${hours}) && ${ctx(pick(BOOL_ATTRS))} };`)
  }
  structured = chance(0.5)
  const n = int(1, structured ? 8 : 6)
  const ps: string[] = [...extra.splice(0)]
  if (chance(0.6)) ps.push('@id("base") @group("treasury") @quorum("1")\npermit (principal, action == Sigil::Action::"CreateTransfer", resource);')
  let tries = 0
  while (ps.length < n + (ps.length ? 1 : 0) && tries < 60) {
    tries++
    const p = genPolicy(ps.length)
    const r = validatePolicySet(p, SCHEMA)
    if (r.valid) ps.push(p)
    else if (process.env.FZ_REJ) console.log('REJ', p, JSON.stringify(r.problems.map((x) => x.message)).slice(0, 300))
  }
  const text = ps.join('\n\n')
  const r = validatePolicySet(text, SCHEMA)
  return r.valid && ps.length > 0 ? text : undefined
}

function around(units4: bigint): string[] {
  const out: string[] = []
  for (const d of [-(10n ** 14n), -1n, 0n, 1n, 10n ** 14n, -(5n * 10n ** 13n)]) {
    const x = units4 * 10n ** 14n + d
    if (x < 0n) continue
    const s = x.toString().padStart(19, '0')
    out.push(`${BigInt(s.slice(0, -18))}.${s.slice(-18)}`.replace(/\.?0+$/, '') || '0')
  }
  return out
}
function decUnits(v: string): bigint {
  const m = /^(-?)([0-9]+)\.([0-9]{1,4})$/.exec(v)!
  const u = BigInt(m[2]!) * 10000n + BigInt(m[3]!.padEnd(4, '0'))
  return m[1] ? -u : u
}

function genInput(): ApprovalInput {
  const decs = [...new Set(usedDecs), '0.0', '1.0'].filter((d) => !d.startsWith('-'))
  let amount: string
  const r = R()
  if (r < 0.7) amount = pick(around(decUnits(pick(decs))))
  else if (r < 0.95) amount = String(int(0, 3000)) + (chance(0.5) ? `.${int(0, 99999)}` : '')
  else amount = pick(['900719925474.0991', '900719925474.0992', '922337203685477.5807', '1000000000000'])
  const last = chance(0.4) ? '0' : chance(0.7) ? pick(around(decUnits(pick(decs)))) : String(int(0, 5000))
  const asset = chance(0.7) && usedAssets.length ? pick(usedAssets) || 'x' : pick(ASSETS.filter((a) => a !== ''))
  // 2026-03-01 is a Sunday; New York moves to summer time on 03-08, Berlin on 03-29, Lord Howe back on 04-05 (by
  // half an hour), Berlin back on 10-25.
  const [month, day] = pick([[2, int(1, 7)], [2, int(7, 9)], [2, int(28, 30)], [3, int(4, 6)], [9, int(24, 26)]])
  return {
    intent: {
      chain: pick(CHAINS),
      asset,
      amount,
      source: chance(0.5) ? { walletId: 'hot-1' } : { walletId: pick(['hot-1', 'cold']), accountId: 'acct-7' },
      destination: pick([...DESTS, '0x52908400098527886E0F7030069857D2E4169EE7']),
    },
    requester: pick([{ type: 'apiClient', id: 'wallet-backend' }, { type: 'user', id: 'u-1' }] as const),
    now: new Date(Date.UTC(2026, month!, day, int(0, 23), int(0, 59))),
    approvedLast24h: last,
    destinationAllowlisted: chance(0.5),
    beneficiaryVerified: chance(0.5),
  }
}

function referenceOf(engine: PolicyEngine) {
  const compiled = compilePolicyTexts(engine.texts)
  const ids = preparse(compiled, engine.version)
  return (input: ApprovalInput) => evaluateApprovalRequest(ids, compiled.policies, engine.version, () => transferRequest(input, { timeZone: compiled.timeZone }))
}

export function check(text: string, input: ApprovalInput): { fast: unknown; ref: unknown } | undefined {
  const r = validatePolicySet(text, SCHEMA)
  if (!r.valid) return undefined
  const engine = createPolicyEngine(r.texts)
  const ref = referenceOf(engine)
  const fast = engine.evaluateApproval(input)
  const want = ref(input)
  return isDeepStrictEqual(fast, want) ? undefined : { fast, ref: want }
}

function minimize(text: string, input: ApprovalInput): string {
  let parts = text.split('\n\n')
  let changed = true
  while (changed && parts.length > 1) {
    changed = false
    for (let i = 0; i < parts.length; i++) {
      const t = parts.filter((_, j) => j !== i)
      if (check(t.join('\n\n'), input)) { parts = t; changed = true; break }
    }
  }
  return parts.join('\n\n')
}

const stats = { sets: 0, invalid: 0, cases: 0, long: 0, partitioned: 0, withFacts: 0, longFacts: 0, divergences: 0, errorsRef: 0, zoned: 0, localFacts: 0, bigVariants: 0, manyForms: 0, wideForm: 0, outcomes: new Map<string, number>() }
const t0 = Date.now()
for (let s = 0; s < SETS; s++) {
  R = rng(seed * 100003 + s)
  const text = genSet()
  if (!text) { stats.invalid++; continue }
  if (process.env.FZ_SHOW) { console.log('-----\n' + text); continue }
  stats.sets++
  const checked = validatePolicySet(text, SCHEMA)
  if (!checked.valid) { stats.invalid++; continue }
  let engine: PolicyEngine
  try { engine = createPolicyEngine(checked.texts) } catch (e) { console.error('engine failed', e); continue }
  const compiled = compilePolicyTexts(engine.texts)
  const ids = preparse(compiled, engine.version)
  const plan = ids.transfer
  if (compiled.timeZone !== 'UTC') stats.zoned++
  if (plan.long) {
    stats.long++
    if (plan.long.attribute) stats.partitioned++
    const forms = [...plan.long.byValue.values(), plan.long.other]
    if (forms.some((f) => f.facts.length)) stats.withFacts++
    if (forms.some((f) => f.facts.some((x) => x.literals))) stats.longFacts++
    if (forms.some((f) => f.facts.some((x) => x.attribute.endsWith('Local')))) stats.localFacts++
    const total = forms.reduce((n, f) => n + f.variants.length, 0)
    if (total > 256) stats.bigVariants++
    if (forms.length > 8) stats.manyForms++
    if (forms.some((f) => f.variants.length > 16)) stats.wideForm++
  }
  const ref = (input: ApprovalInput) => evaluateApprovalRequest(ids, compiled.policies, engine.version, () => transferRequest(input, { timeZone: compiled.timeZone }))
  let found = false
  for (let k = 0; k < INPUTS; k++) {
    const input = genInput()
    stats.cases++
    const fast = engine.evaluateApproval(input)
    const want = ref(input)
    const key = want.outcome === 'blocked' ? want.blocks.map((b) => b.code).join() : 'approval'
    stats.outcomes.set(key, (stats.outcomes.get(key) ?? 0) + 1)
    if (!isDeepStrictEqual(fast, want) && !found) {
      found = true
      stats.divergences++
      const min = minimize(text, input)
      const rec = { seed, set: s, text: min, input: { ...input, now: input.now.toISOString() }, fast, ref: want }
      console.log('DIVERGENCE', JSON.stringify(rec, null, 1))
    }
  }
}
console.log(JSON.stringify({ seed, ...stats, outcomes: Object.fromEntries(stats.outcomes), secs: (Date.now() - t0) / 1000 }))
if (stats.divergences > 0) process.exitCode = 1
