import { readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { evaluateApprovalRequest, type ApprovalDecision } from './approval.ts'
import { transferRequest, type ApprovalInput, type TransferRequestOptions } from './approvalContext.ts'
import type { PolicyAnswer } from './answer.ts'
import { preparse } from './cedar.ts'
import { evaluateDisclosure, type DisclosureDecision, type DisclosureInput } from './disclosure.ts'
import { evaluateIssuance, type IssuanceInput } from './issuance.ts'
import { evaluateRecovery, type RecoveryInput } from './recovery.ts'
import { timeOfDay, type TimeOfDay } from './localTime.ts'
import { compilePolicySet, compilePolicyTexts, validatePolicySet, type CompiledPolicySet, type ValidatePolicySetResult } from './policySet.ts'
import { policyVersion, type PolicyTexts } from './version.ts'

/** Someone proposing to replace the policy set. */
export interface PolicyChangeInput {
  proposer: { id: string }
}

/** A compiled, schema-validated policy set, parsed once, that answers every policy question. Never throws when evaluating. */
export interface PolicyEngine {
  /** `sha256:<hex>`, see {@link policyVersion}. */
  readonly version: string
  /** The schema and each policy's text by id: what the version covers, for evidence bundles. */
  readonly texts: PolicyTexts
  /** The IANA zone of `hourLocal`/`weekdayLocal`, as the policies' `@timeZone` names it; `UTC` when none does. */
  readonly timeZone: string
  /** What the approval policies see of the time `at`: the hour and weekday in UTC and in {@link timeZone}. */
  timeOfDay(at: Date): TimeOfDay
  /** Who must approve a transfer, or why it is blocked. */
  evaluateApproval(input: ApprovalInput): ApprovalDecision
  /** Who must approve replacing the policy set (action ChangePolicy on `Sigil::PolicyStore::"default"`). */
  evaluatePolicyChange(input: PolicyChangeInput): ApprovalDecision
  /** Whether a relying app may ask for these claims. */
  evaluateDisclosure(input: DisclosureInput): DisclosureDecision
  /** Whether a user or API client may issue, or submit subjects for, a credential type. */
  evaluateIssuance(input: IssuanceInput): PolicyAnswer
  /** Whether a user may recover their account by a method (recovery by credential). */
  evaluateRecovery(input: RecoveryInput): PolicyAnswer
  /** Checks a replacement policy set, submitted as text, against this engine's schema. */
  validatePolicySet(text: string): ValidatePolicySetResult
}

/** Where the shipped schema and policies live: this folder. */
export const DEFAULT_POLICY_DIR = fileURLToPath(new URL('.', import.meta.url))

/**
 * Builds an engine from texts keyed by id (as {@link PolicyEngine.texts} or an evidence bundle holds them).
 * Compiles, validates in strict mode and preparses once; throws PolicyError naming every problem.
 */
export function createPolicyEngine(texts: PolicyTexts): PolicyEngine {
  const compiled = compilePolicyTexts(texts)
  return engineOf(compiled)
}

function engineOf(compiled: CompiledPolicySet): PolicyEngine {
  const { texts, policies, timeZone } = compiled
  const version = policyVersion(texts)
  const ids = preparse(compiled, version)
  const transfer: TransferRequestOptions = { plan: ids.transfer, timeZone }
  return {
    version,
    texts,
    timeZone,
    timeOfDay: (at) => timeOfDay(at, timeZone),
    evaluateApproval: (input) => evaluateApprovalRequest(ids, policies, version, () => transferRequest(input, transfer)),
    evaluatePolicyChange: (input) => evaluateApprovalRequest(ids, policies, version, () => ({
      principal: { type: 'Sigil::User', id: input.proposer.id },
      action: 'ChangePolicy',
      resource: { type: 'Sigil::PolicyStore', id: 'default' },
      context: {},
      entities: [],
    })),
    evaluateDisclosure: (input) => evaluateDisclosure(ids, policies, input),
    evaluateIssuance: (input) => evaluateIssuance(ids, policies, input),
    evaluateRecovery: (input) => evaluateRecovery(ids, policies, input),
    validatePolicySet: (text) => validatePolicySet(text, texts.schema),
  }
}

async function cedarFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.cedar'))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}

let shipped: string | undefined

/**
 * The schema this release ships (`sigil.cedarschema` beside the shipped policies). A policy change is validated
 * against it and adopts it, so a set in force since an older release (whose stored schema lacks newer context
 * attributes or actions) can move to the current one through the policy-admin quorum like any other change.
 */
export function shippedSchema(): string {
  shipped ??= readFileSync(join(DEFAULT_POLICY_DIR, 'sigil.cedarschema'), 'utf8')
  return shipped
}

/** Options of {@link loadPolicies}: `texts` wins over `dir`. */
export interface LoadPoliciesOptions {
  /** A folder holding `sigil.cedarschema` and `**\/*.cedar`; default the shipped policies. */
  dir?: string
  texts?: PolicyTexts
}

/** Loads the policy set at startup (from files) or after a change (from texts), ready to evaluate. */
export async function loadPolicies(opts: LoadPoliciesOptions = {}): Promise<PolicyEngine> {
  if (opts.texts) return createPolicyEngine(opts.texts)
  const dir = opts.dir ?? DEFAULT_POLICY_DIR
  const schema = await readFile(join(dir, 'sigil.cedarschema'), 'utf8')
  const sources = await Promise.all((await cedarFiles(dir)).map((f) => readFile(f, 'utf8')))
  return engineOf(compilePolicySet(schema, sources, { submission: true }))
}
