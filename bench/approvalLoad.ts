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
  close: () => Promise<void>
}

interface Approver { cookie: string; auth: SoftAuthenticator }

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
    // A mid-size transfer: the shipped policy asks 2 of treasury (and 1 of risk outside business hours, which the
    // same two people give). Every round trip uses a new source wallet, so the velocity policy (24 h total per
    // wallet) never adds a requirement.
    const roundTrip = async (): Promise<void> => {
      const created = await call('create', 'POST', '/v1/approvals', { intent: { chain: 'ethereum', asset: 'eth', amount: '25',
        source: { walletId: `w${wallets++}` }, destination: '0x52908400098527886E0F7030069857D2E4169EE7' }, signer: signer.client.id }, walletAuth)
      if (created.status !== 201) throw new Error(`create ${created.status} ${JSON.stringify(created.json)}`)
      const id = created.json.id
      const need = created.json.requirements as { group: string; quorum: number }[]
      const approvals = Math.max(...need.map((r) => r.quorum))
      if (approvals !== 2 || need.some((r) => r.group !== 'treasury' && r.group !== 'risk')) throw new Error(`the policy asks ${JSON.stringify(need)}: not two approvers from treasury and risk`)
      const chosen = new Set<Approver>()
      for (let k = 0; k < approvals; k++) {
        // The next approver in turn who has not decided on this request yet (other round trips take turns meanwhile).
        let a = approvers[(turn++) % approvers.length]!
        while (chosen.has(a)) a = approvers[(turn++) % approvers.length]!
        chosen.add(a)
        const o = await call('options', 'POST', `/v1/approvals/${id}/options`, { decision: 'approve' }, { cookie: a.cookie })
        if (o.status !== 200) throw new Error(`options ${o.status} ${JSON.stringify(o.json)}`)
        const v = await call('verify', 'POST', `/v1/approvals/${id}/verify`, { response: await a.auth.authenticate(o.json, { origin }) }, { cookie: a.cookie })
        if (v.status !== 200) throw new Error(`verify ${v.status} ${JSON.stringify(v.json)}`)
      }
      const tok = await call('token', 'GET', `/v1/approvals/${id}/token`, undefined, walletAuth)
      if (tok.status !== 200) throw new Error(`token ${tok.status} ${JSON.stringify(tok.json)}`)
      const r = await call('redeem', 'POST', `/v1/approvals/${id}/redeem`, { token: tok.json.token }, signerAuth)
      if (r.status !== 200) throw new Error(`redeem ${r.status} ${JSON.stringify(r.json)}`)
    }
    return { server, roundTrip, close }
  } catch (err) {
    await close()
    throw err
  }
}
