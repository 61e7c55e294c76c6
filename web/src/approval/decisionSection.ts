import type { ApprovalView } from '../api.ts'
import { h } from '../ui/dom.ts'
import { icon, type IconName } from '../ui/icons.ts'

/**
 * "Your decision": the two buttons while this person can still decide, otherwise where the request stands
 * for them and why. The buttons themselves run the passkey ceremony (see pages/approval.ts).
 */

export interface DecisionHandlers {
  approve(button: HTMLButtonElement): void
  reject(button: HTMLButtonElement): void
}

function state(tone: 'success' | 'warning' | 'error' | 'info', iconName: IconName, title: string, text: string): HTMLElement {
  return h('div', { class: `notice notice-${tone}` }, icon(iconName), h('p', null, h('strong', null, title), ' ', text))
}

const NOBODY: NonNullable<ApprovalView['me']> = { eligible: false, decided: null, reason: null }

function standing(view: ApprovalView): HTMLElement {
  const me = view.me ?? NOBODY
  const rejectedBy = view.approvals.filter((a) => a.decision === 'reject').map((a) => a.displayName)
  switch (view.status) {
    case 'approved':
      return state('success', 'checkCircle', 'Approved.', (me.decided === 'approve' ? 'You were one of the approvers. ' : '') + (view.redeemedAt
        ? 'The signing service has redeemed the approval token and signed the transaction.'
        : 'Enough people approved. The wallet backend can now collect the approval token, which the signing service checks once before it signs.'))
    case 'rejected':
      return state('error', 'alert', 'Rejected.', `${rejectedBy.length ? `${rejectedBy.join(', ')} rejected it.` : 'An approver rejected it.'} Nothing will be signed.`)
    case 'blocked':
      return state('error', 'alert', 'Blocked by policy.', 'No approval can unblock it, and nothing will be signed. See the reasons below.')
    case 'expired':
      return state('warning', 'clock', 'Expired.', 'It wasn’t approved in time, so nothing will be signed. The wallet has to ask again.')
    case 'pending':
      if (me.decided === 'approve') {
        const quorumMet = view.requirements.every((r) => r.missing === 0)
        return state('success', 'checkCircle', 'You approved this request.', quorumMet && view.conditions?.some((c) => !c.met)
          ? 'Enough people approved. It is waiting for the beneficiary to verify their identity (see below).'
          : 'It is waiting for the other approvals it needs.')
      }
      if (me.decided === 'reject') return state('error', 'alert', 'You rejected this request.', 'Nothing will be signed.')
      return state('info', 'info', 'Not yours to decide.', me.reason ?? 'You aren’t in any group whose approval this request needs.')
  }
}

/**
 * While one decision's passkey prompt is open (`active`), both buttons are disabled, so the other decision can't
 * start over it; `null` gives them back. The busy mark is on the button whose decision is under way.
 */
export function holdDecision(active: 'approve' | 'reject' | null): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('#approve, #reject')) {
    button.disabled = active !== null
    if (button.id === active) button.setAttribute('aria-busy', 'true')
    else button.removeAttribute('aria-busy')
  }
}

/** Whether this person can still approve or reject the request. */
export const canDecide = (view: ApprovalView): boolean => view.status === 'pending' && view.me?.eligible === true && view.me.decided === null

export function decisionSection(view: ApprovalView, on: DecisionHandlers): HTMLElement {
  const open = canDecide(view)
  let body: HTMLElement
  if (open) {
    const approve = h('button', { type: 'button', class: 'btn btn-primary', id: 'approve' }, icon('fingerprint'), 'Approve with passkey')
    const reject = h('button', { type: 'button', class: 'btn btn-danger-outline', id: 'reject' }, 'Reject')
    approve.addEventListener('click', () => on.approve(approve))
    reject.addEventListener('click', () => on.reject(reject))
    body = h('div', { class: 'decide' },
      h('p', null, view.kind === 'policy-change'
        ? 'Read every new and changed policy first. Your passkey signs this exact policy set: if anything in it changed, your approval would not count.'
        : 'Check the amount and every character of the address first. Your passkey signs this exact transaction: if anything in it changed, your approval would not count.'),
      h('div', { class: 'actions' }, approve, reject),
    )
  } else {
    body = standing(view)
  }
  return h('section', { class: open ? 'card section decision decision-open' : 'card section decision', 'aria-labelledby': 'decision-title' },
    h('h2', { id: 'decision-title', tabindex: '-1' }, 'Your decision'),
    body,
  )
}
