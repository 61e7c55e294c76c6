import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createPolicyEngine, DEFAULT_POLICY_DIR, loadPolicies } from './engine.ts'
import { validatePolicySet } from './policySet.ts'
import { shippedSchema } from './testing.ts'
import { policyVersion } from './version.ts'

const schema = shippedSchema()
const codes = (text: string): string[] => {
  const r = validatePolicySet(text, schema)
  return r.valid ? [] : r.problems.map((p) => `${p.code}${p.policyId ? `:${p.policyId}` : ''}`)
}

test('the shipped policy set loads and validates', async () => {
  const e = await loadPolicies()
  assert.match(e.version, /^sha256:[0-9a-f]{64}$/)
  assert.ok(Object.keys(e.texts.policies).includes('large-transfer'))
  assert.equal(e.texts.schema, schema)
})

test('the version is stable: the same texts in any order hash the same, across loads', async () => {
  const a = await loadPolicies()
  const b = await loadPolicies()
  assert.equal(a.version, b.version)
  const reversed = Object.fromEntries(Object.entries(a.texts.policies).reverse())
  assert.equal(policyVersion({ schema, policies: reversed }), a.version)
  assert.equal(createPolicyEngine({ schema, policies: reversed }).version, a.version)
})

test('the version changes with any policy text or the schema', async () => {
  const a = await loadPolicies()
  const policies = { ...a.texts.policies, 'transfer-base': a.texts.policies['transfer-base']!.replace('one treasury', 'one  treasury') }
  assert.notEqual(policyVersion({ schema, policies }), a.version)
  assert.notEqual(policyVersion({ schema: `${schema} `, policies: a.texts.policies }), a.version)
})

test('texts whose keys do not name the policy they hold are refused', async () => {
  const a = await loadPolicies()
  const { 'transfer-base': base, ...rest } = a.texts.policies
  assert.throws(() => createPolicyEngine({ schema, policies: { ...rest, 'renamed': base! } }), { code: 'policy_id_invalid' })
  assert.throws(() => createPolicyEngine({ schema, policies: { ...rest, 'transfer-base': `${base!}\n@id("x") permit (principal, action == Sigil::Action::"Disclose", resource);` } }), { code: 'policy_id_invalid' })
})

test('a valid replacement policy set is accepted with its texts by id', () => {
  const r = validatePolicySet('@id("p") @group("treasury") @quorum("3") permit (principal, action == Sigil::Action::"CreateTransfer", resource);', schema)
  assert.ok(r.valid)
  assert.deepEqual(Object.keys(r.texts.policies), ['p'])
})

test('submitted policy sets are refused with every problem named', () => {
  assert.deepEqual(codes('permit (principal, action, resource'), ['policy_syntax_error'])
  assert.deepEqual(codes('@group("treasury") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource);'), ['policy_id_missing'])
  assert.deepEqual(codes('@id("Bad Id") permit (principal, action == Sigil::Action::"Disclose", resource);'), ['policy_id_invalid:Bad Id'])
  assert.deepEqual(codes('@id("a") permit (principal, action == Sigil::Action::"Disclose", resource);\n@id("a") permit (principal, action == Sigil::Action::"Issue", resource);'), ['policy_id_duplicate:a'])
  assert.deepEqual(codes('@id("f") forbid (principal, action, resource);'), ['policy_annotation_invalid:f'])
  assert.deepEqual(codes('@id("p") @group("treasury") permit (principal, action == Sigil::Action::"CreateTransfer", resource);'), ['policy_annotation_invalid:p'])
  assert.deepEqual(codes('@id("p") @group("treasury") @quorum("0") permit (principal, action, resource);'), ['policy_annotation_invalid:p'])
  assert.deepEqual(codes('@id("t") permit (principal, action, resource) when { ?principal == principal };'), ['policy_syntax_error'])
  assert.deepEqual(codes(''), ['policy_set_empty'])
})

test('a policy that reads a missing attribute or mistypes one fails strict validation', () => {
  assert.deepEqual(codes('@id("m") @group("g") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.usdValue > 5 };'), ['policy_invalid:m'])
  assert.deepEqual(codes('@id("t") @group("g") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.hourUtc == "ten" };'), ['policy_invalid:t'])
  assert.deepEqual(codes('@id("u") permit (principal, action == Sigil::Action::"Launch", resource);'), ['policy_invalid:u'])
})

test('an invalid schema is refused', () => {
  const r = validatePolicySet('@id("a") permit (principal, action, resource);', 'namespace {')
  assert.ok(!r.valid && r.problems[0]?.code === 'schema_invalid')
})

test('address literals in another case than the context carries, and @requirement with approvers, are refused with a reason', () => {
  const permit = '@id("ok") @group("treasury") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource);'
  const forbid = (addr: string) => `@id("deny") @reason("denied") forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.destination == "${addr}" };`
  assert.deepEqual(codes(`${permit}\n${forbid('0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b')}`), ['policy_annotation_invalid:deny'], 'a checksummed EVM address')
  assert.deepEqual(codes(`${permit}\n${forbid('BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ')}`), ['policy_annotation_invalid:deny'], 'upper-case bech32')
  assert.deepEqual(codes(`${permit}\n${forbid('0xd90e2f925da726b50c4ed8d0fb90ad053324f31b')}`), [], 'lower case is what the context carries')
  const combo = '@id("kyc") @requirement("beneficiary_kyc") @group("compliance") @quorum("2") permit (principal, action == Sigil::Action::"CreateTransfer", resource);'
  assert.deepEqual(codes(`${permit}\n${combo}`), ['policy_annotation_invalid:kyc'])
  const member = '@id("suspended") @reason("suspended admins") forbid (principal in Sigil::Group::"suspended", action == Sigil::Action::"ChangePolicy", resource);'
  assert.deepEqual(codes(`${permit}\n${member}`), ['policy_annotation_invalid:suspended'], 'group membership is never true: refused, not silently ignored')
})

test('a set stored before the submission rules still loads: only proposals and policy files are held to them', async () => {
  const { compilePolicyTexts } = await import('./policySet.ts')
  const shipped = await loadPolicies()
  const old = { ...shipped.texts, policies: { ...shipped.texts.policies,
    'old-deny': '@id("old-deny") @reason("denied") forbid (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.destination == "0x000000000000000000000000000000000000dEaD" };',
    // Before @timeZone meant something, any annotation was let through.
    'old-zone': '@id("old-zone") @timeZone("CET, more or less") @group("risk") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.hourUtc < 6 };' } }
  assert.doesNotThrow(() => compilePolicyTexts(old), 'as the server loads a stored set, and evidence bundles carry it')
  assert.doesNotThrow(() => createPolicyEngine(old))
  assert.equal(validatePolicySet(Object.values(old.policies).join('\n'), schema).valid, false, 'proposed again, it is refused with the reason')
})

test('the time zone: an unknown zone, policies naming different zones, and @timeZone where no local time is read are refused', () => {
  const permit = '@id("ok") @group("treasury") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource);'
  const hours = (id: string, zone: string | undefined, attr = 'hourLocal') => `${zone === undefined ? '' : `@timeZone("${zone}") `}@id("${id}") @group("risk") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.${attr} < 7 };`
  assert.deepEqual(codes(`${permit}\n${hours('a', 'Europe/Berlin')}\n${hours('b', 'Europe/Berlin', 'weekdayLocal')}`), [])
  assert.deepEqual(codes(`${permit}\n${hours('a', undefined)}`), [], 'no zone named: local time is UTC')
  assert.deepEqual(codes(`${permit}\n${hours('a', 'Mars/Base')}`), ['policy_time_zone_invalid:a'])
  assert.deepEqual(codes(`${permit}\n${hours('a', '+02:00')}`), ['policy_time_zone_invalid:a'], 'an offset is no IANA zone')
  assert.deepEqual(codes(`${permit}\n${hours('a', '')}`), ['policy_time_zone_invalid:a'])
  assert.deepEqual(codes(`${permit}\n${hours('a', 'Europe/Berlin')}\n${hours('b', 'America/New_York', 'weekdayLocal')}`), ['policy_time_zone_conflict'])
  assert.deepEqual(codes(`${permit}\n${hours('a', 'Europe/Berlin')}\n${hours('b', undefined, 'weekdayLocal')}`), ['policy_time_zone_conflict:b'],
    'a local-time policy naming no zone while another names one (say, copied from another set) would silently change its hours')
  assert.deepEqual(codes(`${permit}\n${hours('a', 'Europe/Berlin', 'hourUtc')}`), ['policy_annotation_invalid:a'], '@timeZone does not move hourUtc')
  // A policy that passes the context on as a whole may read local time; only CreateTransfer's context has it.
  const whole = (action: string, zone = '') => `@id("w") ${zone}@group("ops") @quorum("1") permit (principal, action == Sigil::Action::"${action}", resource) when { context == context };`
  assert.deepEqual(codes(`${permit}\n${hours('a', 'Europe/Berlin')}\n${whole('CreateTransfer')}`), ['policy_time_zone_conflict:w'])
  assert.deepEqual(codes(`${permit}\n${hours('a', 'Europe/Berlin')}\n${whole('CreateTransfer', '@timeZone("Europe/Berlin") ')}`), [])
  assert.deepEqual(codes(`${permit}\n${hours('a', 'Europe/Berlin')}\n${whole('ChangePolicy')}`), [])
  assert.deepEqual(codes(`@timeZone("UTC") ${permit}`), ['policy_annotation_invalid:ok'])
  const r = validatePolicySet(`${permit}\n${hours('a', 'Europe/Berlin')}\n${hours('b', 'Asia/Kolkata')}`, schema)
  assert.ok(!r.valid)
  assert.match(r.problems[0]!.message, /Europe\/Berlin.*Asia\/Kolkata/)
})

test('a policy set with an unknown time zone does not load: from policy files, or from stored texts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-tz-'))
  await writeFile(join(dir, 'sigil.cedarschema'), schema)
  await mkdir(join(dir, 'approval'))
  const hours = await readFile(join(DEFAULT_POLICY_DIR, 'approval', 'hours.cedar'), 'utf8')
  const base = '@id("base") @group("treasury") @quorum("1") permit (principal, action == Sigil::Action::"CreateTransfer", resource);'
  await writeFile(join(dir, 'approval', 'base.cedar'), base)
  await writeFile(join(dir, 'approval', 'hours.cedar'), hours.replaceAll('@timeZone("UTC")', '@timeZone("Europe/Berlin")'))
  assert.equal((await loadPolicies({ dir })).timeZone, 'Europe/Berlin')
  await writeFile(join(dir, 'approval', 'hours.cedar'), hours.replaceAll('@timeZone("UTC")', '@timeZone("Europe/Berlinn")'))
  await assert.rejects(loadPolicies({ dir }), { code: 'policy_time_zone_invalid' })
  await writeFile(join(dir, 'approval', 'hours.cedar'), hours.replace('@timeZone("UTC")', '@timeZone("Europe/Berlin")'))
  await assert.rejects(loadPolicies({ dir }), { code: 'policy_time_zone_conflict' })
  await rm(dir, { recursive: true })
  const shipped = await loadPolicies()
  const stored = { ...shipped.texts, policies: { ...shipped.texts.policies, 'outside-business-hours': shipped.texts.policies['outside-business-hours']!.replace('"UTC"', '"Nowhere/Land"') } }
  assert.throws(() => createPolicyEngine(stored), { code: 'policy_time_zone_invalid' })
})
