import type { ApprovalView } from '../api.ts'
import { dateTime } from '../format.ts'
import { copyButton } from '../ui/copy.ts'
import { h, type Child } from '../ui/dom.ts'

/**
 * The request's fingerprints, small but copyable: the transaction digest every approval signs over (the
 * signing service checks the same digest before it signs) and the version of the policy that decided.
 */

function fingerprint(label: string, value: string, what: string, hint: string): HTMLElement {
  const id = `${what.replace(/\W+/g, '-')}-label`
  return h('div', { class: 'fingerprint' },
    h('div', { class: 'fingerprint-head' }, h('h3', { id }, label), copyButton(value, what)),
    h('p', { class: 'fingerprint-value', translate: 'no' }, value),
    h('p', { class: 'hint' }, hint),
  )
}

function fact(label: string, ...value: Child[]): HTMLElement {
  return h('div', null, h('dt', null, label), h('dd', null, ...value))
}

/** When it stops or stopped collecting approvals. */
function settled(view: ApprovalView): HTMLElement | null {
  switch (view.status) {
    case 'pending': return fact('Expires', dateTime(view.expiresAt))
    case 'expired': return fact('Expired', dateTime(view.expiresAt))
    case 'approved': return view.settledAt ? fact('Approved', dateTime(view.settledAt)) : null
    case 'rejected': return view.settledAt ? fact('Rejected', dateTime(view.settledAt)) : null
    case 'blocked': return null
  }
}

export function recordSection(view: ApprovalView): HTMLElement {
  return h('section', { class: 'card section', 'aria-labelledby': 'record-title' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'record-title' }, 'Request record'),
        h('p', null, 'For checking against the wallet backend’s own record of this transaction.'),
      ),
    ),
    h('div', { class: 'fingerprints' },
      fingerprint('Transaction digest', view.digest, 'transaction digest', 'SHA-256 of the transaction as signed. Every approval signs over it.'),
      fingerprint('Policy version', view.policyVersion, 'policy version', 'The policy set that decided what this request needs.'),
    ),
    h('dl', { class: 'details details-compact' },
      fact('Request ID', h('span', { class: 'mono wrap' }, view.id)),
      fact('Created', dateTime(view.createdAt)),
      settled(view),
      fact('Approval token', view.tokenIssued ? 'Issued to the wallet backend' : 'Not issued'),
      fact('Signed', view.redeemedAt ? `Redeemed by the signing service ${dateTime(view.redeemedAt)}` : 'Not yet'),
    ),
  )
}
