import { ApiError, get, type ApprovalView } from '../api.ts'
import { canDecide, decisionSection } from '../approval/decisionSection.ts'
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

function title(view: ApprovalView): string {
  return view.kind === 'policy-change' ? 'Policy change' : `Send ${groupedAmount(view.intent.amount)} ${assetLabel(view.intent.asset)}`
}

function render(view: ApprovalView): void {
  stopTimer?.()
  stopTimer = undefined
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
    policySection(view),
    decisionsSection(view),
    recordSection(view),
  )
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

function outcome(view: ApprovalView, decision: 'approve' | 'reject'): string {
  if (decision === 'reject') return 'You rejected this request. Nothing will be signed.'
  if (view.status === 'approved') return 'You approved. That was the last approval needed: the request is approved.'
  const missing = view.requirements.filter((r) => r.missing > 0).map((r) => `${r.missing} from ${r.group}`)
  return `Your approval is recorded.${missing.length ? ` Still needed: ${missing.join(' and ')}.` : ''}`
}

async function decide(button: HTMLButtonElement, decision: 'approve' | 'reject'): Promise<void> {
  clearStatus()
  say(decision === 'approve' ? 'Confirm your approval with your passkey when your browser asks…' : 'Confirm the rejection with your passkey when your browser asks…')
  try {
    const view = await busy(button, () => decideApproval(id, decision))
    render(view)
    say(outcome(view, decision), 'success')
  } catch (err) {
    clearStatus()
    if (isAbort(err) || endedElsewhere(err)) return
    const message = errorMessage(err, 'decide')
    if (err instanceof ApiError && STALE.has(err.code)) await refresh()
    say(message, 'error')
  }
  // The buttons are gone once the request was re-rendered: keep the keyboard in the same place.
  if (!button.isConnected) byId('decision-title').focus()
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
  const notFound = err instanceof ApiError && (err.status === 404 || err.code === 'approval_not_found')
  say(notFound ? errorMessage(new ApiError({ code: 'approval_not_found', status: 404 }), 'get') : `${errorMessage(err, 'get')} Reload the page to try again.`, 'error')
})
