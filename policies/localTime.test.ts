import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ApprovalDecision } from './approval.ts'
import { evaluateApprovalRequest } from './approval.ts'
import { transferRequest, type ApprovalInput } from './approvalContext.ts'
import { preparse } from './cedar.ts'
import { loadPolicies, type PolicyEngine } from './engine.ts'
import { isKnownTimeZone, timeOfDay } from './localTime.ts'
import { compilePolicyTexts } from './policySet.ts'
import { engineFromText } from './testing.ts'

// Instants: Berlin is UTC+1 (CET) until 2026-03-29 01:00 UTC and UTC+2 (CEST) after; Kolkata is UTC+5:30 all year.
const WED_BEFORE_DST = (h: number, m = 0) => new Date(Date.UTC(2026, 2, 25, h, m)) // Wednesday 2026-03-25
const WED_AFTER_DST = (h: number, m = 0) => new Date(Date.UTC(2026, 3, 1, h, m)) // Wednesday 2026-04-01

/** Business hours Monday to Friday 07:00 to 19:00 in `zone`: outside them a risk officer approves too. */
const businessHours = (zone: string) => `
@id("base") @group("treasury") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource);
@id("outside-hours") @timeZone("${zone}") @group("risk") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource)
when { context.hourLocal < 7 || context.hourLocal >= 19 || context.weekdayLocal == 0 || context.weekdayLocal == 6 };`

const input = (now: Date): ApprovalInput => ({
  intent: { chain: 'ethereum', asset: 'eth', amount: '1', source: { walletId: 'hot-1' }, destination: '0x52908400098527886e0f7030069857d2e4169ee7' },
  requester: { type: 'apiClient', id: 'wallet-backend' },
  now,
})
const groups = (d: ApprovalDecision): string => d.outcome === 'blocked' ? 'blocked' : d.requirements.map((r) => r.group).join(',')
const decide = (engine: PolicyEngine, now: Date) => groups(engine.evaluateApproval(input(now)))

test('timeOfDay: the hour and weekday in the zone, daylight saving time applied; UTC unchanged', () => {
  assert.deepEqual(timeOfDay(WED_BEFORE_DST(5, 30), 'Europe/Berlin'), { hourUtc: 5, weekdayUtc: 3, hourLocal: 6, weekdayLocal: 3 })
  assert.deepEqual(timeOfDay(WED_AFTER_DST(5, 30), 'Europe/Berlin'), { hourUtc: 5, weekdayUtc: 3, hourLocal: 7, weekdayLocal: 3 })
  // The hour that does not exist: 01:59:59 CET is followed by 03:00 CEST.
  assert.equal(timeOfDay(new Date(Date.UTC(2026, 2, 29, 0, 59, 59)), 'Europe/Berlin').hourLocal, 1)
  assert.equal(timeOfDay(new Date(Date.UTC(2026, 2, 29, 1)), 'Europe/Berlin').hourLocal, 3)
  // New York: the day before in the evening, midnight as 0.
  assert.deepEqual(timeOfDay(new Date(Date.UTC(2026, 2, 4, 4, 30)), 'America/New_York'), { hourUtc: 4, weekdayUtc: 3, hourLocal: 23, weekdayLocal: 2 })
  assert.equal(timeOfDay(new Date(Date.UTC(2026, 2, 4, 5)), 'America/New_York').hourLocal, 0)
  // Half an hour past the UTC hour, Kolkata's hour and day turn.
  assert.deepEqual(timeOfDay(new Date(Date.UTC(2026, 2, 6, 18, 29)), 'Asia/Kolkata'), { hourUtc: 18, weekdayUtc: 5, hourLocal: 23, weekdayLocal: 5 })
  assert.deepEqual(timeOfDay(new Date(Date.UTC(2026, 2, 6, 18, 30)), 'Asia/Kolkata'), { hourUtc: 18, weekdayUtc: 5, hourLocal: 0, weekdayLocal: 6 })
  assert.deepEqual(timeOfDay(WED_AFTER_DST(23, 59), 'UTC'), { hourUtc: 23, weekdayUtc: 3, hourLocal: 23, weekdayLocal: 3 })
})

test('isKnownTimeZone: IANA names the runtime knows, aliases included; no offsets, no unknown names', () => {
  for (const z of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Calcutta', 'America/Argentina/Buenos_Aires']) assert.ok(isKnownTimeZone(z), z)
  for (const z of ['', 'Mars/Base', 'Europe/Berlinn', '+01:00', 'GMT+1', 'Europe/../UTC', ' UTC', 'UTC\n']) assert.ok(!isKnownTimeZone(z), z)
})

test('a Berlin business-hours policy follows Berlin time through the change to summer time', () => {
  const berlin = engineFromText(businessHours('Europe/Berlin'))
  assert.equal(berlin.timeZone, 'Europe/Berlin')
  // 05:30 UTC: 06:30 in winter (outside), 07:30 in summer (inside).
  assert.equal(decide(berlin, WED_BEFORE_DST(5, 30)), 'risk,treasury')
  assert.equal(decide(berlin, WED_AFTER_DST(5, 30)), 'treasury')
  // 17:30 UTC: 18:30 in winter (inside), 19:30 in summer (outside).
  assert.equal(decide(berlin, WED_BEFORE_DST(17, 30)), 'treasury')
  assert.equal(decide(berlin, WED_AFTER_DST(17, 30)), 'risk,treasury')
  // The same text in UTC decides by the UTC hour in both seasons.
  const utc = engineFromText(businessHours('UTC'))
  assert.equal(decide(utc, WED_BEFORE_DST(5, 30)), 'risk,treasury')
  assert.equal(decide(utc, WED_AFTER_DST(5, 30)), 'risk,treasury')
  assert.equal(decide(utc, WED_AFTER_DST(17, 30)), 'treasury')
})

test('Asia/Kolkata: the half-hour offset moves the hour and the weekday', () => {
  const kolkata = engineFromText(businessHours('Asia/Kolkata'))
  // 01:20 UTC is 06:50 IST (outside), 01:40 UTC is 07:10 IST (inside): one UTC hour, two answers.
  assert.equal(decide(kolkata, WED_AFTER_DST(1, 20)), 'risk,treasury')
  assert.equal(decide(kolkata, WED_AFTER_DST(1, 40)), 'treasury')
  // Thursday 2026-04-02 13:20 UTC is 18:50 IST (inside), 13:40 UTC is 19:10 IST (outside).
  assert.equal(decide(kolkata, new Date(Date.UTC(2026, 3, 2, 13, 20))), 'treasury')
  assert.equal(decide(kolkata, new Date(Date.UTC(2026, 3, 2, 13, 40))), 'risk,treasury')
  // Sunday 2026-04-05 19:00 UTC is already Monday 00:30 IST: the weekday is Kolkata's (outside by the hour, though).
  assert.equal(kolkata.timeOfDay(new Date(Date.UTC(2026, 3, 5, 19))).weekdayLocal, 1)
  // Monday 2026-04-06 01:40 UTC is Monday 07:10 IST: inside; Saturday 2026-04-04 01:40 UTC is Saturday: outside.
  assert.equal(decide(kolkata, new Date(Date.UTC(2026, 3, 6, 1, 40))), 'treasury')
  assert.equal(decide(kolkata, new Date(Date.UTC(2026, 3, 4, 1, 40))), 'risk,treasury')
})

test('no @timeZone: local time is UTC; the shipped set names UTC and decides by the UTC hour', async () => {
  const plain = engineFromText(businessHours('UTC').replace('@timeZone("UTC") ', ''))
  assert.equal(plain.timeZone, 'UTC')
  assert.equal(decide(plain, WED_AFTER_DST(5, 30)), 'risk,treasury')
  assert.equal(decide(plain, WED_AFTER_DST(7)), 'treasury')
  const shipped = await loadPolicies()
  assert.equal(shipped.timeZone, 'UTC')
  assert.equal(shipped.evaluateApproval({ ...input(WED_AFTER_DST(6, 59)) }).outcome, 'approval_required')
  assert.equal(groups(shipped.evaluateApproval(input(WED_AFTER_DST(6, 59)))), 'risk,treasury')
  assert.equal(groups(shipped.evaluateApproval(input(WED_AFTER_DST(7)))), 'treasury')
})

test('the specialized forms fold the local hour and weekday and decide as Cedar does on the texts, in every zone', async () => {
  const shipped = await loadPolicies()
  // The shipped set, in zones with daylight saving time, a half-hour offset, and far from UTC; and with a policy
  // that compares local with UTC time, so that they are passed, not folded.
  for (const zone of ['Europe/Berlin', 'Asia/Kolkata', 'America/New_York', 'Pacific/Kiritimati']) {
    const text = Object.values(shipped.texts.policies).join('\n').replaceAll('@timeZone("UTC")', `@timeZone("${zone}")`)
    const mixed = `${text}\n@id("mixed") @timeZone("${zone}") @group("ops") @quorum("1")
permit (principal, action == Sigil::Action::"CreateTransfer", resource) when { context.hourUtc == context.hourLocal || context.weekdayLocal != context.weekdayUtc };`
    for (const [source, facts] of [[text, ['destinationAllowlisted', 'hourLocal', 'weekdayLocal']], [mixed, ['destinationAllowlisted']]] as const) {
      const engine = engineFromText(source)
      const compiled = compilePolicyTexts(engine.texts)
      assert.equal(compiled.timeZone, zone)
      const ids = preparse(compiled, engine.version)
      assert.deepEqual(ids.transfer.long!.byValue.get('eth')!.facts.map((f) => f.attribute), facts)
      const reference = (i: ApprovalInput) => evaluateApprovalRequest(ids, compiled.policies, engine.version, () => transferRequest(i, { timeZone: compiled.timeZone }))
      const seen = new Set<string>()
      // Every quarter hour of a week on each side of New York's and Berlin's changes to summer time (03-08, 03-29).
      for (const start of [Date.UTC(2026, 2, 4), Date.UTC(2026, 2, 25)]) {
        for (let t = start; t < start + 8 * 86_400_000; t += 15 * 60_000) {
          for (const [asset, amount] of [['eth', '1'], ['eth', '600'], ['btc', '30'], ['doge', '5']] as const) {
            const base = input(new Date(t))
            const i: ApprovalInput = { ...base, intent: { ...base.intent, asset, amount }, destinationAllowlisted: t % 7 === 0 }
            const fast = engine.evaluateApproval(i)
            assert.deepEqual(fast, reference(i), `${zone} ${new Date(t).toISOString()} ${asset} ${amount}`)
            seen.add(fast.outcome === 'blocked' ? fast.blocks.map((b) => b.policyId).join() : groups(fast).replace('ops,', ''))
          }
        }
      }
      for (const o of ['outside-hours-very-large', 'risk,treasury', 'treasury']) assert.ok(seen.has(o), `${zone}: no case decided ${o}: ${[...seen].join(' | ')}`)
    }
  }
})
