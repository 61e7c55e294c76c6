import type { ApprovalView } from '../api.ts'
import { relative } from '../format.ts'
import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { assetLabel, chainLabel, groupedAmount, sourceLabel, STATUS, timeLeft } from './format.ts'

/** Rows for lists of approval requests, each linking to its page. The address is shown in full here too. */

export const approvalHref = (id: string): string => `/approval.html?id=${encodeURIComponent(id)}`

/** What a condition besides the quorum still asks for, or that it holds; by kind. */
const CONDITION: Record<string, { waiting: string; met: string }> = {
  beneficiary_kyc: { waiting: 'Beneficiary identity not verified yet', met: 'Beneficiary identity verified' },
}

function progress(view: ApprovalView): string {
  if (view.status === 'blocked') return 'Blocked by policy'
  const approvals = view.requirements.map((r) => `${r.approvedBy.length} of ${r.quorum} ${r.group} approvals`)
  const conditions = (view.conditions ?? []).map((c) => {
    const text = CONDITION[c.kind] ?? { waiting: 'A condition is not met yet', met: 'Condition met' }
    return c.met ? text.met : text.waiting
  })
  return [...approvals, ...conditions].join(' · ')
}

function row(view: ApprovalView, waiting: boolean): HTMLLIElement {
  const status = STATUS[view.status]
  const transfer = view.kind === 'transfer'
  const name = transfer ? `Send ${groupedAmount(view.intent.amount)} ${assetLabel(view.intent.asset)}` : 'Policy change'
  const left = view.status === 'pending' ? timeLeft(view.expiresAt) : null
  return h('li', { class: 'item request' },
    h('span', { class: 'item-icon' }, icon(transfer ? 'wallet' : 'compliance')),
    h('div', { class: 'item-body' },
      h('div', { class: 'item-title' },
        // One link per request: a waiting one has its Review button, so its title is plain text.
        waiting ? h('span', { class: 'request-name' }, name) : h('a', { href: approvalHref(view.id), class: 'request-link' }, name),
        h('span', { class: status.badge }, status.label),
      ),
      transfer
        ? h('p', { class: 'request-to' }, h('span', { class: 'muted' }, `On ${chainLabel(view.intent.chain)} to `), h('span', { class: 'mono wrap' }, view.intent.destination))
        : h('p', { class: 'request-to' }, view.summary),
      h('div', { class: 'item-meta' },
        transfer ? h('span', null, sourceLabel(view.intent.source)) : null,
        h('span', null, progress(view)),
        h('span', null, left ?? `Requested ${relative(view.createdAt)}`),
      ),
    ),
    waiting
      ? h('div', { class: 'item-actions' }, h('a', { class: 'btn btn-sm btn-primary', href: approvalHref(view.id) }, 'Review', h('span', { class: 'visually-hidden' }, ` ${name}`)))
      : h('span'),
  )
}

export function requestList(views: ApprovalView[], labelledBy: string, waiting: boolean): HTMLElement {
  return h('ul', { class: 'items', 'aria-labelledby': labelledBy }, views.map((v) => row(v, waiting)))
}
