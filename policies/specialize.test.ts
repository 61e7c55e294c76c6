import assert from 'node:assert/strict'
import { test } from 'node:test'
import { evaluateApprovalRequest } from './approval.ts'
import { transferRequest, type ApprovalInput } from './approvalContext.ts'
import { preparse, TRANSFER_BOOLEANS, TRANSFER_DECIMALS, TRANSFER_LONGS } from './cedar.ts'
import { createPolicyEngine, loadPolicies, type PolicyEngine } from './engine.ts'
import { compilePolicyTexts } from './policySet.ts'
import { specialize, variantIndex } from './specialize.ts'
import { engineFromText, shippedSchema } from './testing.ts'
import { schemaToJson } from '@cedar-policy/cedar-wasm/nodejs'

/**
 * The engine passes CreateTransfer requests in a faster form (specialize.ts): only the context attributes the
 * policies read, and amounts as Longs of 1/10 000ths to policies whose decimal comparisons were rewritten. These
 * tests hold it to the reference: the whole context, decimals, the policies as written.
 */
function withReference(engine: PolicyEngine) {
  const compiled = compilePolicyTexts(engine.texts)
  const ids = preparse(compiled, engine.version)
  const reference = (input: ApprovalInput) => evaluateApprovalRequest(ids, compiled.policies, engine.version, () => transferRequest(input, { timeZone: compiled.timeZone }))
  return { ids, reference }
}

/** A small deterministic generator, so a failure names a case that can be run again. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 }
}

const EVM = '0x52908400098527886E0F7030069857D2E4169EE7'
const DENIED = '0x000000000000000000000000000000000000dEaD'
/** Every threshold in the shipped policies, and a few more. */
const THRESHOLDS = ['0', '1', '5', '20', '25', '100', '500', '2500', '10000', '50000', '250000', '1000000', '3.0001', '10.5']

/** Amounts on and around `t`: a 10^-18 either side, a 10^-4 either side, and one that rounds up onto it. */
function around(t: string): string[] {
  const [whole, frac = ''] = t.split('.')
  const units18 = BigInt(whole!) * 10n ** 18n + BigInt(frac.padEnd(18, '0'))
  const out = [-(10n ** 14n), -1n, 0n, 1n, 10n ** 14n, -(5n * 10n ** 13n)].map((d) => units18 + d).filter((x) => x >= 0n)
  return out.map((x) => {
    const s = x.toString().padStart(19, '0')
    return `${BigInt(s.slice(0, -18))}.${s.slice(-18)}`.replace(/\.?0+$/, '') || '0'
  })
}

function cases(count: number, seed: number): ApprovalInput[] {
  const next = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!
  const amounts = THRESHOLDS.flatMap(around)
  const out: ApprovalInput[] = []
  for (let i = 0; i < count; i++) {
    out.push({
      intent: {
        chain: pick(['ethereum', 'bitcoin', 'solana']),
        asset: pick(['btc', 'eth', 'sol', 'usdc', 'usdt', 'doge', '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48']),
        amount: pick(amounts),
        source: next() < 0.5 ? { walletId: 'hot-1' } : { walletId: 'hot-1', accountId: 'acct-7' },
        destination: pick([EVM, DENIED, 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq']),
      },
      requester: pick([{ type: 'apiClient', id: 'wallet-backend' }, { type: 'user', id: 'u-1' }] as const),
      // Wednesday, Saturday and Sunday, inside and outside business hours, on and around every hour named.
      now: new Date(Date.UTC(2026, 2, pick([4, 7, 8]), pick([0, 3, 6, 7, 8, 10, 11, 12, 13, 18, 19, 20, 23]))),
      approvedLast24h: pick(['0', ...amounts]),
      destinationAllowlisted: next() < 0.3,
      beneficiaryVerified: next() < 0.3,
    })
  }
  return out
}

const label = (i: ApprovalInput) => JSON.stringify({ ...i.intent, now: i.now.toISOString(), last24h: i.approvedLast24h, allow: i.destinationAllowlisted })

test('the shipped policies are rewritten to Longs, one form per asset, each passed only the attributes it reads', async () => {
  const engine = await loadPolicies()
  const { ids } = withReference(engine)
  const long = ids.transfer.long
  assert.ok(long, 'every decimal in the shipped transfer policies is a comparison')
  assert.equal(long.attribute, 'asset')
  assert.deepEqual([...long.byValue.keys()].sort(), ['btc', 'eth', 'sol', 'usdc', 'usdt'])
  assert.deepEqual([...(ids.transfer.reads as Set<string>)].sort(),
    ['amount', 'asset', 'dayTotal', 'destination', 'destinationAllowlisted', 'hourLocal', 'weekdayLocal'])
  const eth = long.byValue.get('eth')!
  // Folded into the variants: the allowlist (2 classes), the hour (below 7, 7, between, 19, above 19) and the weekday.
  assert.deepEqual(eth.facts, [{ attribute: 'destinationAllowlisted' }, { attribute: 'hourLocal', literals: [7, 19] }, { attribute: 'weekdayLocal', literals: [0, 6] }])
  assert.equal(eth.variants.length, 2 * 5 * 5)
  const base = cases(1, 1)[0]!
  // Wednesday 10:00 UTC, not on the allowlist.
  const input = { ...base, intent: { ...base.intent, asset: 'eth', amount: '25' }, destinationAllowlisted: false, now: new Date(Date.UTC(2026, 2, 4, 10)) }
  const req = transferRequest(input, { plan: ids.transfer })
  const form = eth.variants[0 + 2 * 2 + 10 * 2]!
  assert.equal(req.policySetId, form.policySetId)
  // Three attributes left, under one-letter names, the amounts as Longs of 1/10 000ths.
  assert.deepEqual(form.pass.map(([from]) => from).sort(), ['amount', 'dayTotal', 'destination'])
  assert.deepEqual(Object.keys(req.context).sort(), form.pass.map(([, to]) => to).sort())
  assert.ok(Object.keys(req.context).every((k) => /^[a-z]$/.test(k)))
  assert.equal(req.context[form.pass.find(([from]) => from === 'amount')![1]], 250000)
  const other = (change: Partial<ApprovalInput>) => transferRequest({ ...input, ...change }, { plan: ids.transfer }).policySetId
  assert.equal(other({ destinationAllowlisted: true }), eth.variants[1 + 2 * 2 + 10 * 2]!.policySetId)
  assert.equal(other({ now: new Date(Date.UTC(2026, 2, 4, 19)) }), eth.variants[2 * 3 + 10 * 2]!.policySetId)
  assert.equal(other({ now: new Date(Date.UTC(2026, 2, 8, 6)) }), eth.variants[2 * 0 + 10 * 1]!.policySetId)
  // Variants that fold alike share one preparsed set: within business hours every Wednesday hour is the same.
  assert.equal(other({ now: new Date(Date.UTC(2026, 2, 4, 7)) }), form.policySetId)
  assert.notEqual(other({ destinationAllowlisted: true }), form.policySetId)
  assert.equal(other({ intent: { ...input.intent, asset: 'doge' } }), long.other.variants[variantIndex(long.other.facts, { destinationAllowlisted: false, hourLocal: 10, weekdayLocal: 3 })]!.policySetId)
  // The variants cedar-wasm gets: no annotations, the action scope `action` (every request is a CreateTransfer),
  // the facts gone. In business hours and off the allowlist, outside-business-hours can never match and is dropped.
  const transferTexts = Object.fromEntries([...compilePolicyTexts(engine.texts).policies.values()]
    .filter((p) => p.actions === 'all' || p.actions.includes('CreateTransfer')).map((p) => [p.id, p.text]))
  const forms = specialize(transferTexts, TRANSFER_DECIMALS, { booleans: TRANSFER_BOOLEANS, longs: TRANSFER_LONGS, action: { type: 'Sigil::Action', id: 'CreateTransfer' } }).long!
  const variant = forms.byValue.get('eth')!.variants[0 + 2 * 2 + 10 * 2]!
  assert.deepEqual(Object.keys(variant.policies).sort(), ['daily-velocity', 'denied-destination', 'large-transfer', 'transfer-base', 'very-large-transfer'])
  for (const p of Object.values(variant.policies)) {
    assert.deepEqual(p.annotations, {})
    assert.deepEqual(p.action, { op: 'All' })
  }
  for (const attr of ['destinationAllowlisted', 'hourLocal', 'weekdayLocal']) assert.ok(!JSON.stringify(forms.byValue.get('eth')!.variants).includes(attr), attr)
})

test('the fast form decides exactly as the policies as written: 4 000 cases around every threshold', async () => {
  const engine = await loadPolicies()
  const { reference } = withReference(engine)
  const outcomes = new Set<string>()
  for (const input of cases(4000, 7)) {
    const fast = engine.evaluateApproval(input)
    assert.deepEqual(fast, reference(input), label(input))
    outcomes.add(fast.outcome === 'blocked' ? fast.blocks.map((b) => b.policyId ?? b.code).join() : fast.requirements.map((r) => `${r.group}:${r.quorum}`).join())
  }
  // The cases reach every tier and every block, so the comparison means something.
  for (const o of ['treasury:1', 'treasury:2', 'risk:1,treasury:1', 'risk:1,treasury:2', 'denied-destination', 'outside-hours-very-large']) {
    assert.ok(outcomes.has(o), `no case decided ${o}: ${[...outcomes].join(' | ')}`)
  }
})

const RULES = `
@id("left-literal") @group("a") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { decimal("10.5").lessThan(context.amount) };
@id("at-most") @group("b") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.amount.lessThanOrEqual(decimal("3.0001")) };
@id("total-over-amount") @group("c") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.dayTotal.greaterThan(context.amount) };
@id("negative") @group("d") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { decimal("-1.0").greaterThanOrEqual(context.amount) || context.amount.greaterThanOrEqual(decimal("250000.0")) };
@id("listed-chain") @group("f") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { ["bitcoin", "solana"].contains(context.chain) && [3, 7, 10].contains(context.hourUtc) };
@id("long-list") @reason("long list")
forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11", "a12", "a13", "a14", "a15", "a16", "doge"].contains(context.asset) };
@id("big-bitcoin") @reason("big bitcoin")
forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.chain == "bitcoin" && context has amount && context.amount.greaterThan(decimal("20.0")) };
`

test('every comparison method, either side, attribute against attribute and negative literals are rewritten and decide alike', () => {
  const engine = engineFromText(RULES)
  const { ids, reference } = withReference(engine)
  assert.ok(ids.transfer.long)
  // "long-list" tests the asset against a set too long to unroll, so there is one form for every asset.
  assert.equal(ids.transfer.long.attribute, undefined)
  assert.deepEqual([...(ids.transfer.reads as Set<string>)].sort(), ['amount', 'asset', 'chain', 'dayTotal', 'hourUtc'])
  for (const input of cases(1500, 11)) assert.deepEqual(engine.evaluateApproval(input), reference(input), label(input))
})

test('a decimal used other than in a comparison keeps the policies as written, and still decides alike', () => {
  const engine = engineFromText(`${RULES}
@id("exactly-one") @group("e") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.amount == decimal("1.0") };`)
  const { ids, reference } = withReference(engine)
  assert.equal(ids.transfer.long, undefined)
  const req = transferRequest(cases(1, 3)[0]!, { plan: ids.transfer })
  assert.equal(req.policySetId, undefined)
  assert.deepEqual(req.context.amount, { __extn: { fn: 'decimal', arg: (req.context.amount as { __extn: { arg: string } }).__extn.arg } })
  let matched = 0
  for (const input of cases(600, 5)) {
    const d = engine.evaluateApproval(input)
    assert.deepEqual(d, reference(input), label(input))
    if (d.outcome === 'approval_required' && d.requirements.some((r) => r.group === 'e')) matched++
  }
  assert.ok(matched > 0, 'some case had an amount of exactly 1')
})

test('amounts a JS number cannot hold exactly go as decimals to the policies as written', async () => {
  const engine = await loadPolicies()
  const { ids, reference } = withReference(engine)
  const base = cases(1, 9)[0]!
  for (const amount of ['900719925474.0991', '900719925474.0992', '900719925475', '922337203685476.5807']) {
    for (const approvedLast24h of ['0', '1']) {
      const input = { ...base, intent: { ...base.intent, asset: 'usdc', amount }, approvedLast24h }
      const req = transferRequest(input, { plan: ids.transfer })
      const exact = amount === '900719925474.0991' && approvedLast24h === '0'
      const long = ids.transfer.long!.byValue.get('usdc')!.variants.find((f) => f.policySetId === req.policySetId)
      const amountName = long?.pass.find(([from]) => from === 'amount')?.[1] ?? 'amount'
      assert.equal(typeof req.context[amountName] === 'number', exact, `${amount} + ${approvedLast24h}`)
      assert.equal(req.policySetId !== undefined, exact)
      assert.deepEqual(engine.evaluateApproval(input), reference(input))
    }
  }
})

test('reads: every attribute read or tested, through record literals too; the context as a whole means all', () => {
  const p = (when: string) => `permit (principal, action, resource) when { ${when} };`
  const reads = (...whens: string[]) => {
    const r = specialize(Object.fromEntries(whens.map((w, i) => [`p${i}`, p(w)])), TRANSFER_DECIMALS).reads
    return r === 'all' ? r : [...r].sort()
  }
  assert.deepEqual(reads('context.asset == "eth"', 'context has chain', 'context["hourUtc"] < 7'), ['asset', 'chain', 'hourUtc'])
  assert.deepEqual(reads('{"Value": context.destination, "Var": context.weekdayUtc}.Value == "x"'), ['destination', 'weekdayUtc'])
  assert.deepEqual(reads('principal.roles.contains("x")'), [])
  assert.equal(reads('context.asset == "eth"', 'context == {}'), 'all')
  // A decimal read outside a comparison, or compared with something that is not a literal, is not rewritten.
  assert.ok(specialize({ a: p('context.amount.lessThan(decimal("1.0"))') }, TRANSFER_DECIMALS).long)
  assert.equal(specialize({ a: p('[context.amount].contains(decimal("1.0"))') }, TRANSFER_DECIMALS).long, undefined)
  assert.equal(specialize({ a: p('context.amount.lessThan(if true then decimal("1.0") else context.dayTotal)') }, TRANSFER_DECIMALS).long, undefined)
  // Small set literals of primitives tested against a context attribute become a chain of ==; others stay sets.
  const json = (when: string) => JSON.stringify(specialize({ a: p(when) }, TRANSFER_DECIMALS).long?.other.policies)
  assert.ok(!json('["x", "y"].contains(context.chain)').includes('contains'))
  assert.ok(json(`[${Array.from({ length: 17 }, (_, i) => `"a${i}"`).join(', ')}].contains(context.chain)`).includes('contains'))
  assert.ok(json('["x", context.chain].contains(context.asset)').includes('contains'))
  assert.ok(json('[principal].contains(principal)').includes('contains'))
  assert.ok(json('["x"].contains(principal.name)').includes('contains'))
  // A literal past what a JS number holds exactly is not rewritten.
  assert.equal(specialize({ a: p('context.amount.lessThan(decimal("922337203685477.5807"))') }, TRANSFER_DECIMALS).long, undefined)
})

const BY_ASSET = `
@id("eth-big") @group("a") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.asset == "eth" && context.amount.greaterThan(decimal("10.0")) };
@id("not-btc") @group("b") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.asset != "btc" } unless { context.destinationAllowlisted };
@id("branch") @group("c") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { if "sol" == context.asset then context.hourUtc < 12 else context.hourUtc >= 12 };
@id("stablecoins") @group("d") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context has asset && ["usdc", "usdt"].contains(context.asset) || context.dayTotal.greaterThan(context.amount) };
@id("btc-night") @reason("no bitcoin at night")
forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.hourUtc < 6 } when { context.asset == "btc" };
@id("btc-allowlist") @reason("bitcoin only to the allowlist")
forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.asset == "btc" } unless { context.destinationAllowlisted };
`

test('per asset: tests of the asset answered, conditions folded, policies that cannot match dropped; decisions unchanged', () => {
  const engine = engineFromText(BY_ASSET)
  const { ids, reference } = withReference(engine)
  const long = ids.transfer.long!
  assert.equal(long.attribute, 'asset')
  assert.deepEqual([...long.byValue.keys()].sort(), ['btc', 'eth', 'sol', 'usdc', 'usdt'])
  const forms = specialize(compilePolicyTexts(engine.texts).texts.policies, TRANSFER_DECIMALS).long!
  // For eth: btc-allowlist can never match and is gone; btc-night stays (its first condition is not constant).
  assert.deepEqual(Object.keys(forms.byValue.get('eth')!.policies).sort(), ['branch', 'btc-night', 'eth-big', 'not-btc', 'stablecoins'])
  assert.deepEqual(Object.keys(forms.byValue.get('btc')!.policies).sort(), ['branch', 'btc-allowlist', 'btc-night', 'stablecoins'])
  assert.ok(!JSON.stringify(forms.byValue.get('eth')!.policies).includes('"asset"'))
  for (const input of cases(1500, 13)) assert.deepEqual(engine.evaluateApproval(input), reference(input), label(input))
})

test('an asset used otherwise than compared with string literals means one form for every asset, deciding alike', () => {
  const engine = engineFromText(`${BY_ASSET}
@id("contract") @group("e") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.asset like "0x*" };`)
  const { ids, reference } = withReference(engine)
  assert.equal(ids.transfer.long?.attribute, undefined)
  assert.equal(ids.transfer.long?.byValue.size, 0)
  for (const input of cases(800, 17)) assert.deepEqual(engine.evaluateApproval(input), reference(input), label(input))
})

test('an evaluation error surfaces in the fast form exactly where Cedar raises it on the texts', () => {
  // `principal.roles` errors: the principal's entity is never passed. Guarded by the hour, so only night cases error.
  const engine = engineFromText(`${BY_ASSET}
@id("night-roles") @reason("night roles")
forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { (context.hourUtc < 6 && principal.roles.contains("x")) && context.asset == "btc" };
@id("night-roles-sol") @group("g") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.hourUtc < 4 && principal.roles.contains("y") } when { context.asset == "sol" };`)
  const { ids, reference } = withReference(engine)
  assert.equal(ids.transfer.long?.attribute, 'asset')
  let errors = 0
  for (const input of cases(1500, 19)) {
    const d = engine.evaluateApproval(input)
    assert.deepEqual(d, reference(input), label(input))
    if (d.outcome === 'blocked' && d.blocks[0]?.code === 'policy_evaluation_error') errors++
  }
  assert.ok(errors > 0, 'some cases raised an error')
})

test('the context used as a whole, or a Long literal past 2^53, means no rewritten form; decisions as written', () => {
  for (const extra of [
    '@id("whole") @reason("whole") forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { (if true then context else context).amount == decimal("5.0") };',
    '@id("big-long") @reason("big") forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { 9007199254740993 - context.hourUtc > 9007199254740989 };',
  ]) {
    const engine = engineFromText(`${BY_ASSET}\n${extra}`)
    const { ids, reference } = withReference(engine)
    assert.equal(ids.transfer.long, undefined, extra)
    let blocked = 0
    for (const input of cases(600, 23)) {
      const d = engine.evaluateApproval(input)
      assert.deepEqual(d, reference(input), label(input))
      if (d.outcome === 'blocked' && d.blocks.some((b) => b.policyId === 'whole' || b.policyId === 'big-long')) blocked++
    }
    assert.ok(blocked > 0, `the extra policy blocked some case: ${extra}`)
  }
})

test('more than 32 assets named: one form for every asset, deciding alike', () => {
  const many = Array.from({ length: 33 }, (_, i) => `context.asset == "coin${i}"`).join(' || ')
  const engine = engineFromText(`${BY_ASSET}
@id("many-coins") @group("m") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { ${many} };`)
  const { ids, reference } = withReference(engine)
  assert.equal(ids.transfer.long?.attribute, undefined)
  assert.equal(ids.transfer.long?.byValue.size, 0)
  for (const input of cases(300, 29)) assert.deepEqual(engine.evaluateApproval(input), reference(input), label(input))
})

const FACTS = `
@id("flags") @group("a") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource)
when { if context.beneficiaryVerified then context.asset == "eth" else context.destinationAllowlisted == false };
@id("mirrored") @group("b") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { 12 > context.hourUtc && 6 < context.hourUtc && 11 >= context.hourUtc && 8 <= context.hourUtc || 7 == context.hourUtc && 7 != context.weekdayUtc + 3 || context has weekdayUtc && context.hourUtc < 1 };
@id("noon") @reason("not at noon")
forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.hourUtc == 12 || 0 == context.weekdayUtc };
@id("arith") @group("c") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.weekdayUtc + 1 >= 7 };
@id("verified") @group("d") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context has beneficiaryVerified && !context.beneficiaryVerified };
`

test('Booleans and Longs compared only with literals are folded into variants; decisions unchanged', () => {
  const engine = engineFromText(FACTS)
  const { ids, reference } = withReference(engine)
  const long = ids.transfer.long!
  const eth = long.byValue.get('eth')!
  // weekdayUtc is also added to: it is passed, not folded.
  assert.deepEqual(eth.facts, [{ attribute: 'beneficiaryVerified' }, { attribute: 'destinationAllowlisted' }, { attribute: 'hourUtc', literals: [1, 6, 7, 8, 11, 12] }])
  for (const v of eth.variants) assert.deepEqual(v.pass.map(([from]) => from), ['weekdayUtc'])
  const seen = new Set<string>()
  for (const input of cases(2000, 31)) {
    const d = engine.evaluateApproval(input)
    assert.deepEqual(d, reference(input), label(input))
    seen.add(d.outcome === 'blocked' ? d.blocks.map((b) => b.policyId ?? b.code).join() : d.requirements.map((r) => r.group).join())
  }
  // Each policy decided some case, so each fold was exercised.
  for (const g of ['a', 'b', 'c', 'd']) assert.ok([...seen].some((x) => x.split(',').includes(g)), `group ${g}: ${[...seen].join(' | ')}`)
  assert.ok(seen.has('noon'))
})

test('past 64 variants a form folds fewer facts, and past 512 in all only Booleans; decisions unchanged', () => {
  const hours = (n: number) => Array.from({ length: n }, (_, i) => `context.hourUtc == ${i}`).join(' || ')
  // 2 × 2 × (2 × 20 + 1) > 64: the hour is passed, not folded.
  const wide = engineFromText(`${FACTS}\n@id("hours") @group("h") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { ${hours(20)} };`)
  const { ids, reference } = withReference(wide)
  assert.deepEqual(ids.transfer.long!.byValue.get('eth')!.facts.map((f) => f.attribute), ['beneficiaryVerified', 'destinationAllowlisted'])
  assert.ok(ids.transfer.long!.byValue.get('eth')!.variants.every((v) => v.pass.some(([from]) => from === 'hourUtc')))
  for (const input of cases(600, 37)) assert.deepEqual(wide.evaluateApproval(input), reference(input), label(input))
  // 27 forms (eth, 25 coins and the rest) × 2 × 2 × 5 hour classes > 512 in all: Booleans only.
  const assets = Array.from({ length: 25 }, (_, i) => `context.asset == "c${i}"`).join(' || ')
  const many = engineFromText(`${FACTS}\n@id("coins") @group("m") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { ${assets} };`)
  const m = withReference(many)
  assert.equal(m.ids.transfer.long!.byValue.size, 26)
  assert.deepEqual(m.ids.transfer.long!.byValue.get('c1')!.facts.map((f) => f.attribute), ['beneficiaryVerified', 'destinationAllowlisted'])
  for (const input of cases(600, 41)) assert.deepEqual(many.evaluateApproval(input), m.reference(input), label(input))
})

test('another engine for the same version, its policies in another order, leaves the first one deciding as written', () => {
  // Found by a review: the forms were named by their place, which follows the order the assets are met in; a second
  // engine for the same version (the version sorts policies by id) re-registered those names with other contents in
  // cedar-wasm's process-wide cache, and the first engine then let eth through and blocked btc.
  const text = `
@id("eth-block") @reason("no eth")
forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.asset == "eth" };
@id("btc-ok") @group("treasury") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.asset == "btc" };
@id("sol-big") @group("risk") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.asset == "sol" && context.amount.greaterThan(decimal("5.0")) };
`
  const first = engineFromText(text)
  const { reference } = withReference(first)
  const reversed = { schema: first.texts.schema, policies: Object.fromEntries(Object.entries(first.texts.policies).reverse()) }
  const second = createPolicyEngine(reversed)
  assert.equal(second.version, first.version)
  let eth = 0
  let btc = 0
  for (const input of cases(700, 43)) {
    const d = first.evaluateApproval(input)
    assert.deepEqual(d, reference(input), label(input))
    assert.deepEqual(second.evaluateApproval(input), d, label(input))
    if (input.intent.asset === 'eth') { eth++; assert.equal(d.outcome === 'blocked' && d.blocks[0]?.policyId, 'eth-block') }
    if (input.intent.asset === 'btc') { btc++; assert.equal(d.outcome, 'approval_required') }
  }
  assert.ok(eth > 0 && btc > 0)
})

test('the attributes folded as decimals, Booleans and Longs are the ones the schema declares so, all required', () => {
  const json = schemaToJson(shippedSchema())
  assert.equal(json.type, 'success')
  const attrs = (json as unknown as { json: { Sigil: { commonTypes: Record<string, { attributes: Record<string, { name?: string; required?: boolean }> }> } } })
    .json.Sigil.commonTypes.TransferContext!.attributes
  const declared = (type: string) => Object.entries(attrs).filter(([, a]) => a.name === type).map(([k]) => k).sort()
  assert.deepEqual([...TRANSFER_DECIMALS].sort(), declared('decimal'))
  assert.deepEqual([...TRANSFER_BOOLEANS].sort(), declared('Bool'))
  assert.deepEqual([...TRANSFER_LONGS].sort(), declared('Long'))
  for (const [k, a] of Object.entries(attrs)) assert.notEqual(a.required, false, `${k} is optional: the forms assume every attribute is passed`)
})
