import { createPolicyEngine, loadPolicies, type PolicyEngine } from '../../policies/index.ts'
import type { Store } from '../store/index.ts'

/** How long an instance trusts its idea of the active policy set before asking the store again. */
const RECHECK_MS = 1000

export interface PolicySource {
  /** The policy set in force (the shipped one until a policy change is approved). */
  current(): Promise<PolicyEngine>
  /** The engine for a version that was ever in force, for evidence of older requests. */
  byVersion(version: string): Promise<PolicyEngine | undefined>
}

const sources = new WeakMap<Store, PolicySource>()

/**
 * One policy source per store: every instance reads the active set from the store, so a change approved on
 * one instance is in force on all within a second. Engines are compiled once per version and kept.
 */
export function policySourceFor(store: Store, now: () => number = Date.now): PolicySource {
  const existing = sources.get(store)
  if (existing) return existing
  const engines = new Map<string, PolicyEngine>()
  let active: { engine: PolicyEngine; checkedAt: number } | undefined
  let loading: Promise<PolicyEngine> | undefined

  const engineOf = (texts: PolicyEngine['texts']): PolicyEngine => {
    const engine = createPolicyEngine(texts)
    const known = engines.get(engine.version)
    if (known) return known
    engines.set(engine.version, engine)
    return engine
  }

  async function refresh(): Promise<PolicyEngine> {
    let set = await store.policySets.getActive()
    if (!set) {
      // First start: the shipped policies become the active set (another instance may do the same first).
      const shipped = await loadPolicies()
      // Kept, so the set read back below is not compiled a second time.
      if (!engines.has(shipped.version)) engines.set(shipped.version, shipped)
      await store.policySets.activate({ version: shipped.version, texts: shipped.texts, activatedAt: now(), approvalId: null }, null)
      set = await store.policySets.getActive()
      if (!set) throw new Error('no active policy set after activating the shipped one')
    }
    const engine = engines.get(set.version) ?? engineOf(set.texts)
    active = { engine, checkedAt: now() }
    return engine
  }

  const source: PolicySource = {
    async current() {
      if (active && now() - active.checkedAt < RECHECK_MS) return active.engine
      loading ??= refresh().finally(() => { loading = undefined })
      return loading
    },
    async byVersion(version) {
      const known = engines.get(version)
      if (known) return known
      const set = await store.policySets.getVersion(version)
      return set && engineOf(set.texts)
    },
  }
  sources.set(store, source)
  return source
}
