/**
 * The approval workload that bench/approvals.ts and bench/pair.ts drive: one Sigil server (from a given checkout) on
 * SQLite in a temp dir, a wallet backend and a signing service (API keys), approvers in the treasury and risk groups,
 * and one complete round trip: create → options → verify (approver 1) → options → verify (approver 2) → token →
 * redeem, each over HTTP keep-alive, with software authenticators signing real ES256 assertions in this process.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Pool } from 'undici'
import { createApiClient } from '../server/clients/index.ts'
import { openSqliteStore } from '../server/store/index.ts'
import { createSoftAuthenticator, type SoftAuthenticator } from '../server/testing/index.ts'
import { freePort, startServer, type ServerProcess } from './procs.ts'
import { peakSigilEnv } from './targets.ts'

export interface ApprovalLoadOptions {
  /** The checkout whose server/main.ts runs (its node_modules must be installed or linked). */
  root: string
  /** Approvers; they rotate, so that none exceeds Sigil's 300 approvals per minute per approver. */
  approvers: number
  env?: Record<string, string>
  nodeArgs?: string[]
  /** Called after every HTTP call of a round trip with its name (create, options, verify, token, redeem) and time. */
  onCall?: (name: string, ms: number) => void
}

export interface ApprovalLoad {
  server: ServerProcess
  /** One complete round trip; throws with the step and answer when a step fails. */
  roundTrip: () => Promise<void>
  /** The round trip's steps one by one (bench/approvalStages.ts runs each stage alone); each throws on a wrong answer. */
  steps: ApprovalSteps
  close: () => Promise<void>
}

export interface Approver { cookie: string; auth: SoftAuthenticator }

export interface ApprovalSteps {
  /** `POST /v1/approvals` for a new source wallet: the request id and how many approvals it needs. */
  create(): Promise<{ id: string; approvals: number }>
  /** The next approver in turn not in `exclude`. */
  nextApprover(exclude?: ReadonlySet<Approver>): Approver
  /** `POST /v1/approvals/:id/options` (approve), signed by the approver's authenticator: the assertion to send. */
  options(id: string, a: Approver): Promise<unknown>
  /** `POST /v1/approvals/:id/verify` with that assertion. */
  verify(id: string, a: Approver, assertion: unknown): Promise<void>
  /** `GET /v1/approvals/:id/token` as the wallet backend: the token. */
  token(id: string): Promise<string>
  /** `POST /v1/approvals/:id/redeem` as the signing service. */
  redeem(id: string, token: string): Promise<void>
  /** `GET /v1/approvals/:id` as the wallet backend, and `GET /healthz`: references for the cost of a request. */
  read(id: string): Promise<void>
  health(): Promise<void>
}

export async function startApprovalLoad(opts: ApprovalLoadOptions): Promise<ApprovalLoad> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigil-approvals-'))
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const setupStore = openSqliteStore({ path: path.join(dir, 'sigil.db') })
  const wallet = await createApiClient(setupStore, 'bench-wallet', ['wallet-backend'], Date.now())
  const signer = await createApiClient(setupStore, 'bench-signer', ['signing-service'], Date.now())
  await setupStore.close()
  let server: ServerProcess
  try {
    server = await startServer({ name: `sigil (${opts.root})`, script: 'server/main.ts', port, cwd: opts.root, readyPath: '/readyz',
      nodeArgs: opts.nodeArgs ?? [], env: { ...peakSigilEnv(port, dir), ...opts.env } })
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const pool = new Pool(server.url, { connections: 64, pipelining: 1 })
  const close = async (): Promise<void> => {
    await pool.close()
    await server.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  async function call(name: string, method: 'GET' | 'POST', p: string, body: unknown, headers: Record<string, string>) {
    const t0 = performance.now()
    const res = await pool.request({ path: p, method, headers: { 'content-type': 'application/json', origin, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.body.text()
    opts.onCall?.(name, performance.now() - t0)
    const setCookie = res.headers['set-cookie']
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined, cookie: (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0] }
  }
  try {
    // Approvers: accounts in the treasury and risk groups (set in the store, as the CLI does). Outside business hours
    // the shipped policy also asks one risk officer; a person counts toward every group they are in, so two such
    // approvers still complete a round trip at any hour.
    const approvers: Approver[] = []
    const ids: string[] = []
    for (let i = 0; i < opts.approvers; i++) {
      const auth = createSoftAuthenticator({ alg: 'ES256' })
      const o = await call('setup', 'POST', '/v1/passkeys/register/options', { handle: `approver${i}`, displayName: `Approver ${i}` }, {})
      const v = await call('setup', 'POST', '/v1/passkeys/register/verify', { response: await auth.register(o.json, { origin }) }, {})
      if (v.status !== 201) throw new Error(`registering approver ${i}: ${v.status} ${JSON.stringify(v.json)}`)
      approvers.push({ cookie: v.cookie!, auth })
      ids.push(v.json.user.id)
    }
    const store = openSqliteStore({ path: path.join(dir, 'sigil.db') })
    for (const id of ids) await store.users.setRoles(id, ['treasury', 'risk'])
    await store.close()

    const walletAuth = { authorization: `Bearer ${wallet.key}` }
    const signerAuth = { authorization: `Bearer ${signer.key}` }
    let turn = 0
    let wallets = 0
    const nextApprover = (exclude?: ReadonlySet<Approver>): Approver => {
      let a = approvers[(turn++) % approvers.length]!
      while (exclude?.has(a)) a = approvers[(turn++) % approvers.length]!
      return a
    }
    const steps: ApprovalSteps = {
      // A mid-size transfer: the shipped policy asks 2 of treasury (and 1 of risk outside business hours, which the
      // same two people give). Every round trip uses a new source wallet, so the velocity policy (24 h total per
      // wallet) never adds a requirement.
      async create() {
        const created = await call('create', 'POST', '/v1/approvals', { intent: { chain: 'ethereum', asset: 'eth', amount: '25',
          source: { walletId: `w${wallets++}` }, destination: '0x52908400098527886E0F7030069857D2E4169EE7' }, signer: signer.client.id }, walletAuth)
        if (created.status !== 201) throw new Error(`create ${created.status} ${JSON.stringify(created.json)}`)
        const need = created.json.requirements as { group: string; quorum: number }[]
        const approvals = Math.max(...need.map((r) => r.quorum))
        if (approvals !== 2 || need.some((r) => r.group !== 'treasury' && r.group !== 'risk')) throw new Error(`the policy asks ${JSON.stringify(need)}: not two approvers from treasury and risk`)
        return { id: created.json.id as string, approvals }
      },
      nextApprover,
      async options(id, a) {
        const o = await call('options', 'POST', `/v1/approvals/${id}/options`, { decision: 'approve' }, { cookie: a.cookie })
        if (o.status !== 200) throw new Error(`options ${o.status} ${JSON.stringify(o.json)}`)
        return a.auth.authenticate(o.json, { origin })
      },
      async verify(id, a, assertion) {
        const v = await call('verify', 'POST', `/v1/approvals/${id}/verify`, { response: assertion }, { cookie: a.cookie })
        if (v.status !== 200) throw new Error(`verify ${v.status} ${JSON.stringify(v.json)}`)
      },
      async token(id) {
        const tok = await call('token', 'GET', `/v1/approvals/${id}/token`, undefined, walletAuth)
        if (tok.status !== 200) throw new Error(`token ${tok.status} ${JSON.stringify(tok.json)}`)
        return tok.json.token as string
      },
      async redeem(id, token) {
        const r = await call('redeem', 'POST', `/v1/approvals/${id}/redeem`, { token }, signerAuth)
        if (r.status !== 200) throw new Error(`redeem ${r.status} ${JSON.stringify(r.json)}`)
      },
      async read(id) {
        const r = await call('read', 'GET', `/v1/approvals/${id}`, undefined, walletAuth)
        if (r.status !== 200) throw new Error(`read ${r.status} ${JSON.stringify(r.json)}`)
      },
      async health() {
        const r = await call('health', 'GET', '/healthz', undefined, {})
        if (r.status !== 200) throw new Error(`healthz ${r.status}`)
      },
    }
    const roundTrip = async (): Promise<void> => {
      const { id, approvals } = await steps.create()
      const chosen = new Set<Approver>()
      for (let k = 0; k < approvals; k++) {
        // The next approver in turn who has not decided on this request yet (other round trips take turns meanwhile).
        const a = nextApprover(chosen)
        chosen.add(a)
        await steps.verify(id, a, await steps.options(id, a))
      }
      await steps.redeem(id, await steps.token(id))
    }
    return { server, roundTrip, steps, close }
  } catch (err) {
    await close()
    throw err
  }
}
