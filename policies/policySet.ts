import {
  checkParseSchema, policySetTextToParts, policyToJson, validate,
  type ActionConstraint, type DetailedError, type EntityUidJson,
} from '@cedar-policy/cedar-wasm/nodejs'
import { PolicyError, type PolicyProblem } from './errors.ts'
import { DEFAULT_TIME_ZONE, isKnownTimeZone, LOCAL_TIME_ATTRIBUTES } from './localTime.ts'
import { contextReads } from './specialize.ts'
import type { PolicyTexts } from './version.ts'

/** Actions whose permits name approvers, so they must carry `@group` and `@quorum`. */
export const APPROVAL_ACTIONS: readonly string[] = ['CreateTransfer', 'ChangePolicy']
/**
 * What a permit's `@requirement` may name instead of approvers: a condition besides the quorum that must hold
 * before the request is approved. `beneficiary_kyc`: the beneficiary presented a verified KYC credential (Travel Rule).
 */
export const APPROVAL_CONDITIONS = ['beneficiary_kyc'] as const
export type ApprovalConditionKind = (typeof APPROVAL_CONDITIONS)[number]
/** Every action the schema declares; each gets its own preparsed subset of the policy set. */
export const ACTIONS: readonly string[] = [...APPROVAL_ACTIONS, 'Disclose', 'Issue', 'SubmitSubject', 'Recover']

/** One policy of a compiled set: its text and the annotations evaluation reads. */
export interface CompiledPolicy {
  id: string
  text: string
  effect: 'permit' | 'forbid'
  annotations: Record<string, string>
  /** The actions its scope can match; `all` when unconstrained. */
  actions: string[] | 'all'
}

/** A policy set that parsed, named every policy, and validated against its schema in strict mode. */
export interface CompiledPolicySet {
  texts: PolicyTexts
  policies: Map<string, CompiledPolicy>
  /** The IANA zone of `hourLocal` and `weekdayLocal`: what the policies' `@timeZone` names, {@link DEFAULT_TIME_ZONE} when none does. */
  timeZone: string
}

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/
const GROUP = /^[a-z0-9][a-z0-9_-]{0,63}$/
const QUORUM = /^[1-9][0-9]?$/

const message = (e: DetailedError): string => (e.help ? `${e.message} (${e.help})` : e.message)

const uidOf = (e: EntityUidJson): { type?: string; id: string } => ('__entity' in e ? e.__entity : e)

/** Which actions a policy's scope can match; `all` for an unconstrained action. */
function actionsOf(c: ActionConstraint): string[] | 'all' {
  if (c.op === 'All') return 'all'
  if (c.op === '==') return 'entity' in c ? [uidOf(c.entity).id] : 'all'
  return 'entities' in c ? c.entities.map((e) => uidOf(e).id) : [uidOf(c.entity).id]
}

/** The annotation rules evaluation relies on: an id everywhere, a reason on forbids, approvers on approval permits. */
function annotationProblems(p: CompiledPolicy): PolicyProblem[] {
  const out: PolicyProblem[] = []
  const a = p.annotations
  const bad = (msg: string) => out.push({ code: 'policy_annotation_invalid', policyId: p.id, message: msg })
  if (a.reason !== undefined && (a.reason.length === 0 || a.reason.length > 500)) bad('@reason must be 1 to 500 characters')
  if (p.effect === 'forbid' && !a.reason) bad('a forbid policy needs a @reason, which is shown when it blocks')
  const approval = p.actions === 'all' || p.actions.some((x) => APPROVAL_ACTIONS.includes(x))
  if (a.requirement !== undefined && (p.effect !== 'permit' || !(APPROVAL_CONDITIONS as readonly string[]).includes(a.requirement))) {
    bad(`@requirement must be one of ${APPROVAL_CONDITIONS.join(', ')}, on a permit`)
  } else if (p.effect === 'permit' && approval && a.requirement === undefined) {
    if (!a.group || !GROUP.test(a.group)) bad('a permit on an approval action needs @group("<group id>")')
    if (!a.quorum || !QUORUM.test(a.quorum)) bad('a permit on an approval action needs @quorum("<1 to 99>")')
  }
  if (a.separationOfDuties !== undefined && a.separationOfDuties !== 'true' && a.separationOfDuties !== 'false') {
    bad('@separationOfDuties must be "true" or "false"')
  }
  return out
}

/**
 * Rules for sets that are proposed or loaded from files, not for sets already stored: a set stored before a rule
 * existed must still load (the server starts with it, evidence bundles carry it), and is changed by a proposal,
 * which these rules then check.
 */
function submissionProblems(p: CompiledPolicy): PolicyProblem[] {
  const out: PolicyProblem[] = []
  const a = p.annotations
  const bad = (msg: string) => out.push({ code: 'policy_annotation_invalid', policyId: p.id, message: msg })
  // A condition permit names no approvers: a group, quorum or separation of duties there would be silently ignored.
  if (a.requirement !== undefined && (a.group !== undefined || a.quorum !== undefined || a.separationOfDuties !== undefined)) {
    bad('@requirement cannot be combined with @group, @quorum or @separationOfDuties: write the approvers in a permit of their own')
  }
  // Requests carry no entity data: `principal in Sigil::Group::"…"` would always be false (a forbid on a group would
  // never fire). Who approves is what @group names on a permit.
  if (/\bprincipal\s+in\s+(\[|Sigil::Group\b)/.test(p.text)) bad('group membership is not known to policies (`principal in Sigil::Group::…` is never true): name approvers with @group on a permit')
  // The context carries EVM and bech32 addresses in lower case: a literal in another case never matches (a deny list
  // copied from a checksummed source would block nothing).
  for (const m of p.text.matchAll(/"(0x[0-9a-f]{40}|(?:bc|tb|bcrt|ltc|tltc)1[0-9a-z]{6,90})"/gi)) {
    if (m[1] !== m[1]!.toLowerCase()) bad(`address literal ${m[1]!.slice(0, 20)}… must be written in lower case (destinations are compared in lower case)`)
  }
  return out
}

/** A policy as {@link timeZoneOf} sees it: the zone it names, and whether it reads local time. */
interface ZoneUse { id: string; zone: string | undefined; readsLocal: boolean }

/**
 * The zone of `hourLocal`/`weekdayLocal` for the whole set. A policy names it with `@timeZone("Europe/Berlin")`
 * (an IANA name), next to the rules it changes the meaning of; one set has one zone, so every policy that reads
 * local time names the same one (a policy copied from a set in another zone must not silently change its hours),
 * and one that reads no local time names none (`@timeZone` does not move `hourUtc`; a submission rule, since a
 * stored set could carry any annotation before this one meant something). No zone named: UTC.
 */
function timeZoneOf(uses: readonly ZoneUse[], problems: PolicyProblem[], submission: boolean): string {
  const named = new Map<string, string[]>()
  for (const u of uses) {
    if (u.zone === undefined) continue
    if (!u.readsLocal) {
      if (submission) problems.push({ code: 'policy_annotation_invalid', policyId: u.id, message: '@timeZone applies to context.hourLocal and context.weekdayLocal, and this policy reads neither (hourUtc and weekdayUtc stay UTC)' })
    } else if (!isKnownTimeZone(u.zone)) {
      problems.push({ code: 'policy_time_zone_invalid', policyId: u.id, message: `@timeZone("${u.zone.slice(0, 64)}") is not an IANA time zone this server knows (say "Europe/Berlin" or "UTC")` })
    } else {
      named.set(u.zone, [...(named.get(u.zone) ?? []), u.id])
    }
  }
  if (named.size > 1) {
    const list = [...named].map(([zone, ids]) => `"${zone}" (${ids.join(', ')})`).join(', ')
    problems.push({ code: 'policy_time_zone_conflict', message: `policies name different time zones: ${list}; a policy set has one time zone` })
  }
  const [zone] = named.keys()
  if (zone === undefined) return DEFAULT_TIME_ZONE
  for (const u of uses) {
    if (u.readsLocal && u.zone === undefined) {
      problems.push({ code: 'policy_time_zone_conflict', policyId: u.id, message: `this policy reads local time but names no time zone, while others name "${zone}": add @timeZone("${zone}")` })
    }
  }
  return zone
}

/** Splits policy source texts into policies, each named by its `@id` annotation. */
function splitPolicies(sources: readonly string[], problems: PolicyProblem[], submission: boolean, zones: ZoneUse[]): Map<string, CompiledPolicy> {
  const policies = new Map<string, CompiledPolicy>()
  for (const source of sources) {
    const parts = policySetTextToParts(source)
    if (parts.type === 'failure') {
      for (const e of parts.errors) problems.push({ code: 'policy_syntax_error', message: message(e) })
      continue
    }
    if (parts.policy_templates.length > 0) {
      problems.push({ code: 'policy_template_unsupported', message: 'policy templates are not supported' })
    }
    for (const text of parts.policies) {
      const json = policyToJson(text)
      if (json.type === 'failure') {
        for (const e of json.errors) problems.push({ code: 'policy_syntax_error', message: message(e) })
        continue
      }
      const annotations = json.json.annotations ?? {}
      const id = annotations.id
      if (id === undefined) {
        problems.push({ code: 'policy_id_missing', message: `a policy has no @id: ${text.slice(0, 80)}` })
        continue
      }
      if (!ID.test(id)) { problems.push({ code: 'policy_id_invalid', policyId: id, message: '@id must be a lower-case slug of at most 64 characters' }); continue }
      if (policies.has(id)) { problems.push({ code: 'policy_id_duplicate', policyId: id, message: `two policies have @id("${id}")` }); continue }
      const policy: CompiledPolicy = { id, text, effect: json.json.effect, annotations, actions: actionsOf(json.json.action) }
      problems.push(...annotationProblems(policy), ...(submission ? submissionProblems(policy) : []))
      policies.set(id, policy)
      // Only CreateTransfer's context has local time (and a policy that passes `context` on as a whole may read it).
      const reads = contextReads(json.json)
      const transfer = policy.actions === 'all' || policy.actions.includes('CreateTransfer')
      zones.push({ id, zone: annotations.timeZone, readsLocal: transfer && (reads === 'all' || [...LOCAL_TIME_ATTRIBUTES].some((a) => reads.has(a))) })
    }
  }
  return policies
}

/**
 * Parses policy source texts (each may hold many policies), names each policy by `@id`, checks the
 * annotations evaluation relies on (the time zone's included, see {@link timeZoneOf}), and validates the set
 * against the schema in Cedar's strict mode.
 * Throws {@link PolicyError} listing every problem found; its code is that of the first.
 */
export function compilePolicySet(schema: string, sources: readonly string[], opts: { submission?: boolean } = {}): CompiledPolicySet {
  const schemaCheck = checkParseSchema(schema)
  if (schemaCheck.type === 'failure') {
    const problems = schemaCheck.errors.map((e): PolicyProblem => ({ code: 'schema_invalid', message: message(e) }))
    throw new PolicyError('schema_invalid', problems[0]?.message ?? 'schema does not parse', problems)
  }
  const problems: PolicyProblem[] = []
  const zones: ZoneUse[] = []
  const policies = splitPolicies(sources, problems, opts.submission ?? false, zones)
  const timeZone = timeZoneOf(zones, problems, opts.submission ?? false)
  if (problems.length === 0 && policies.size === 0) problems.push({ code: 'policy_set_empty', message: 'the policy set has no policies' })
  const texts: PolicyTexts = { schema, policies: Object.fromEntries([...policies].map(([id, p]) => [id, p.text])) }
  if (problems.length === 0) {
    const v = validate({ schema, policies: { staticPolicies: texts.policies }, validationSettings: { mode: 'strict' } })
    if (v.type === 'failure') for (const e of v.errors) problems.push({ code: 'policy_invalid', message: message(e) })
    else for (const e of v.validationErrors) problems.push({ code: 'policy_invalid', policyId: e.policyId, message: message(e.error) })
  }
  const first = problems[0]
  if (first) throw new PolicyError(first.code, first.message, problems)
  return { texts, policies, timeZone }
}

/**
 * Compiles texts that are already keyed by id (as an evidence bundle or the store carries them) and checks
 * that each key names exactly the one policy its text holds, so the texts hash to the version they claim.
 */
export function compilePolicyTexts(texts: PolicyTexts): CompiledPolicySet {
  const compiled = compilePolicySet(texts.schema, Object.values(texts.policies))
  const given = Object.entries(texts.policies)
  const same = given.length === compiled.policies.size && given.every(([id, text]) => compiled.policies.get(id)?.text === text)
  if (!same) throw new PolicyError('policy_id_invalid', 'each policy text must hold exactly the one policy its key names')
  return compiled
}

/** The outcome of {@link validatePolicySet}. */
export type ValidatePolicySetResult =
  | { valid: true; texts: PolicyTexts }
  | { valid: false; problems: PolicyProblem[] }

/**
 * Checks a policy set an admin submits as text: it must parse, every policy needs a unique `@id` and the
 * annotations evaluation relies on, and it must validate against `schema` in strict mode. Returns every
 * problem, each naming the policy, instead of throwing, so the console can show them all at once.
 */
export function validatePolicySet(text: string, schema: string): ValidatePolicySetResult {
  try {
    return { valid: true, texts: compilePolicySet(schema, [text], { submission: true }).texts }
  } catch (e) {
    if (e instanceof PolicyError) return { valid: false, problems: e.problems.length ? e.problems : [{ code: e.code, message: e.message }] }
    throw e
  }
}
