import { ApiError, get, post, type ApprovalView, type BeneficiaryPresentationRequest } from '../api.ts'
import { beneficiarySection, failureWords, type AskedRequest } from '../approval/beneficiarySection.ts'
import { canDecide, decisionSection, holdDecision } from '../approval/decisionSection.ts'
import { expiryTimer } from '../approval/expiry.ts'
import { assetLabel, groupedAmount, STATUS } from '../approval/format.ts'
import { decisionsSection, policySection } from '../approval/policySection.ts'
import { recordSection } from '../approval/recordSection.ts'
import { policyChangeSection, transferSection } from '../approval/transferSection.ts'
import { relative } from '../format.ts'
import { errorMessage, isAbort } from '../messages.ts'
import { decideApproval } from '../passkeys.ts'
import { endedElsewhere, requireUser } from '../session.ts'
import { confirmDialog } from '../ui/dialog.ts'
import { busy, byId, h } from '../ui/dom.ts'
import { clearStatus, go, say } from '../ui/status.ts'
import { mountShell, startPage } from './common.ts'

/**
 * One approval request, `/approval.html?id=…`: what will be signed, what the policy requires, who has
 * decided, and this person's own decision with a passkey (options → WebAuthn → verify or reject).
 */

startPage()

const id = new URLSearchParams(location.search).get('id') ?? ''
const path = `/v1/approvals/${encodeURIComponent(id)}`
/** Problems that mean the request moved on while this page showed it: show its current state. */
const STALE = new Set(['approval_already_decided', 'approval_not_pending', 'approval_expired', 'approval_not_eligible', 'approval_initiator_forbidden'])

let stopTimer: (() => void) | undefined
/** Travel Rule: the request for the beneficiary's wallet shown on this page, while it can be answered. */
let asked: AskedRequest | null = null
let stopAsked: (() => void) | undefined
/** While `asked` is shown, the page looks for the beneficiary's answer every few seconds. */
let poll: ReturnType<typeof setInterval> | undefined
let shownJson = ''
/** The decision whose passkey prompt is open: until it ends, neither decision button works, across re-renders too. */
let deciding: 'approve' | 'reject' | null = null
/** Problems that mean there is nothing (more) to ask the beneficiary: show the request's current state. */
const BENEFICIARY_STALE = new Set(['approval_not_pending', 'beneficiary_kyc_already_verified', 'beneficiary_kyc_not_required'])

function title(view: ApprovalView): string {
  return view.kind === 'policy-change' ? 'Policy change' : `Send ${groupedAmount(view.intent.amount)} ${assetLabel(view.intent.asset)}`
}

const beneficiaryOf = (view: ApprovalView) => view.conditions?.find((c) => c.kind === 'beneficiary_kyc')

function render(view: ApprovalView): void {
  stopTimer?.()
  stopTimer = undefined
  stopAsked?.()
  const c = beneficiaryOf(view)
  // The shown request is done once the beneficiary is verified, its answer failed, or the request ended.
  if (asked && (!c || c.met || view.status !== 'pending' || c.lastFailure?.presentationRequestId === asked.request.id)) asked = null
  const beneficiary = beneficiarySection(view, asked, {
    ask: (b) => void askBeneficiary(b),
    expired: () => { asked = null; void refresh() },
  })
  stopAsked = beneficiary?.stop
  shownJson = JSON.stringify(view)
  watch()
  let expiry: HTMLElement | null = null
  if (view.status === 'pending') {
    const timer = expiryTimer(view.expiresAt, () => void refresh())
    expiry = timer.el
    stopTimer = timer.stop
  }
  const status = STATUS[view.status]
  document.title = `${title(view)} · Approval · Sigil`
  const kind = view.kind === 'policy-change' ? 'policy change' : 'transfer'
  byId('title').textContent = canDecide(view) ? `Approve a ${kind}` : `${kind[0]!.toUpperCase()}${kind.slice(1)} request`
  byId('status-badge').replaceChildren(h('span', { class: `${status.badge} badge-lg`, id: 'request-status' }, status.label))
  byId('request-summary').textContent = `Requested ${relative(view.createdAt)} · ${view.requirements.map((r) => `${r.quorum} of ${r.group}`).join(' and ') || 'no approvals possible'}`
  byId('sections').replaceChildren(
    view.kind === 'policy-change' ? policyChangeSection(view, expiry) : transferSection(view, expiry),
    decisionSection(view, { approve: (b) => void decide(b, 'approve'), reject: (b) => void reject(b) }),
    ...(beneficiary ? [beneficiary.el] : []),
    policySection(view),
    decisionsSection(view),
    recordSection(view),
  )
  if (deciding) holdDecision(deciding)
  byId('main').removeAttribute('aria-busy')
}

async function refresh(): Promise<ApprovalView | undefined> {
  try {
    const view = await get<ApprovalView>(path)
    render(view)
    return view
  } catch (err) {
    if (!endedElsewhere(err)) say(errorMessage(err, 'get'), 'error')
    return undefined
  }
}

/** Polls while a request for the beneficiary is shown; re-renders only when the request changed, and says what happened. */
function watch(): void {
  if (!asked) {
    clearInterval(poll)
    poll = undefined
    return
  }
  poll ??= setInterval(() => {
    const before = asked?.request.id
    void get<ApprovalView>(path).then((view) => {
      if (JSON.stringify(view) === shownJson) return
      render(view)
      const c = beneficiaryOf(view)
      if (c?.met) say('The beneficiary verified their identity.', 'success')
      else if (c?.lastFailure && c.lastFailure.presentationRequestId === before) say(`The beneficiary’s attempt failed: ${failureWords(c.lastFailure.reason)}. You can ask again.`, 'error')
    }, () => undefined)
  }, 3000)
}

async function askBeneficiary(button: HTMLButtonElement): Promise<void> {
  clearStatus()
  try {
    const request = await busy(button, () => post<BeneficiaryPresentationRequest>(`${path}/beneficiary-presentation`, { responseMode: 'direct_post.jwt' }))
    asked = { request }
    const view = await get<ApprovalView>(path)
    render(view)
    say('Show the QR code to the beneficiary, or send them the link. This page updates when their wallet answers.', 'success')
    document.getElementById('beneficiary-request-title')?.focus()
  } catch (err) {
    if (endedElsewhere(err)) return
    if (err instanceof ApiError && BENEFICIARY_STALE.has(err.code)) await refresh()
    say(errorMessage(err, 'get'), 'error')
  }
}

function outcome(view: ApprovalView, decision: 'approve' | 'reject'): string {
  if (decision === 'reject') return 'You rejected this request. Nothing will be signed.'
  if (view.status === 'approved') return 'You approved. That was the last approval needed: the request is approved.'
  const missing = view.requirements.filter((r) => r.missing > 0).map((r) => `${r.missing} from ${r.group}`)
  if (beneficiaryOf(view)?.met === false) missing.push('the beneficiary’s verified identity')
  return `Your approval is recorded.${missing.length ? ` Still needed: ${missing.join(' and ')}.` : ''}`
}

/** Runs a decision's passkey ceremony with both decision buttons disabled (holdDecision), then gives them back. */
async function holding<T>(decision: 'approve' | 'reject', work: () => Promise<T>): Promise<T> {
  deciding = decision
  holdDecision(decision)
  try {
    return await work()
  } finally {
    deciding = null
    holdDecision(null)
  }
}

async function decide(button: HTMLButtonElement, decision: 'approve' | 'reject'): Promise<void> {
  if (deciding) return
  clearStatus()
  say(decision === 'approve' ? 'Confirm your approval with your passkey when your browser asks…' : 'Confirm the rejection with your passkey when your browser asks…')
  try {
    const view = await holding(decision, () => decideApproval(id, decision))
    render(view)
    say(outcome(view, decision), 'success')
  } catch (err) {
    clearStatus()
    if (isAbort(err) || endedElsewhere(err)) return
    const message = errorMessage(err, 'decide')
    if (err instanceof ApiError && STALE.has(err.code)) await refresh()
    say(message, 'error')
  }
  // The buttons are gone once the request was re-rendered: keep the keyboard in the same place. A disabled button
  // lost the focus, so it gets it back when it is still there.
  if (button.isConnected) button.focus()
  else byId('decision-title').focus()
}

async function reject(button: HTMLButtonElement): Promise<void> {
  const ok = await confirmDialog({
    title: 'Reject this request?',
    body: [h('p', null, 'A rejection from a required approver stops the request for good: nothing will be signed, and the wallet would have to ask again. You’ll confirm with your passkey.')],
    confirmLabel: 'Reject request',
    danger: true,
  })
  if (ok) await decide(button, 'reject')
}

async function main(): Promise<void> {
  const me = await requireUser()
  if (me.session.kind === 'recovery') return go('/upgrade.html', 'Add a new passkey to finish signing in.', 'info')
  mountShell(me.user, '/approvals.html')
  if (!id) throw new ApiError({ code: 'approval_not_found', status: 404 })
  render(await get<ApprovalView>(path))
}

main().catch((err: unknown) => {
  if (endedElsewhere(err)) return
  byId('main').removeAttribute('aria-busy')
  byId('request-summary').textContent = 'This request couldn’t be loaded.'
  byId('sections').replaceChildren(h('p', null, h('a', { href: '/approvals.html' }, 'See the requests waiting for you')))
  // A malformed id (`?id=%%%`) is a 400 from the server: for the person it is the same wrong link as an unknown id.
  const notFound = err instanceof ApiError && (err.status === 404 || err.status === 400 || err.code === 'approval_not_found')
  say(notFound ? errorMessage(new ApiError({ code: 'approval_not_found', status: 404 }), 'get') : `${errorMessage(err, 'get')} Reload the page to try again.`, 'error')
})
