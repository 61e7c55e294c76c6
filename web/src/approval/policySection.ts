import type { ApprovalRequirementView, ApprovalView } from '../api.ts'
import { dateTime, relative } from '../format.ts'
import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'

/** What the policy asks for (each group: how many, who has approved, how many are missing, why), and what blocks it. */

/** `open`: the request still collects approvals (once it is settled, nothing more is "needed"). */
function tally(r: ApprovalRequirementView, open: boolean): string {
  const approved = `${r.approvedBy.length} of ${r.quorum} approved`
  return r.missing === 0 ? `${approved} · met` : open ? `${approved} · ${r.missing} more needed` : approved
}

function badge(r: ApprovalRequirementView, open: boolean): HTMLElement {
  if (r.missing === 0) return h('span', { class: 'badge badge-success' }, 'Met')
  return open ? h('span', { class: 'badge badge-warning' }, `${r.missing} missing`) : h('span', { class: 'badge' }, 'Not met')
}

function requirement(r: ApprovalRequirementView, open: boolean): HTMLLIElement {
  const met = r.missing === 0
  const titleId = `requirement-${r.group.replace(/[^A-Za-z0-9_-]/g, '-')}`
  return h('li', { class: met ? 'requirement requirement-met' : 'requirement', 'aria-labelledby': titleId },
    h('div', { class: 'requirement-head' },
      h('h3', { id: titleId }, `${r.quorum} of ${r.group}`),
      badge(r, open),
    ),
    h('div', { class: 'requirement-tally' },
      h('span', { class: 'pips', 'aria-hidden': 'true' },
        Array.from({ length: r.quorum }, (_, n) => h('span', { class: n < r.approvedBy.length ? 'pip pip-done' : 'pip' }))),
      h('span', { class: 'tally' }, tally(r, open)),
    ),
    r.approvedBy.length
      ? h('p', { class: 'requirement-people' }, 'Approved by ', r.approvedBy.map((p) => p.displayName).join(', '))
      : h('p', { class: 'requirement-people muted' }, open ? `No one from ${r.group} has approved yet.` : `No one from ${r.group} approved.`),
    r.reasons.length ? h('ul', { class: 'reasons' }, r.reasons.map((reason) => h('li', null, reason))) : null,
  )
}

export function policySection(view: ApprovalView): HTMLElement {
  return h('section', { class: 'card section', 'aria-labelledby': 'policy-title' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'policy-title' }, 'What the policy requires'),
        h('p', null, view.separationOfDuties
          ? 'Approvers must be different people, and whoever asked for the transfer can’t approve it.'
          : 'Each approver counts once, whatever number of passkeys they use.'),
      ),
    ),
    view.blocks.length
      ? h('div', { class: 'notice notice-error blocks' }, icon('alert'),
        h('div', null, h('p', null, h('strong', null, 'The policy blocks this request. Nothing can approve it.')),
          h('ul', null, view.blocks.map((b) => h('li', null, b.reason)))))
      : null,
    view.requirements.length ? h('ul', { class: 'requirements', 'aria-label': 'Required approvals' }, view.requirements.map((r) => requirement(r, view.status === 'pending'))) : null,
  )
}

/** Who has approved or rejected, and when. */
export function decisionsSection(view: ApprovalView): HTMLElement {
  const items = [...view.approvals].sort((a, b) => a.at.localeCompare(b.at)).map((d) => {
    const approve = d.decision === 'approve'
    return h('li', { class: approve ? 'decision-item' : 'decision-item decision-item-reject' },
      h('span', { class: 'decision-icon' }, icon(approve ? 'checkCircle' : 'alert')),
      h('div', null,
        h('p', null, h('strong', null, d.displayName), approve ? ' approved' : ' rejected'),
        h('p', { class: 'muted' },
          h('time', { datetime: d.at, title: dateTime(d.at) }, `${dateTime(d.at)} (${relative(d.at)})`),
          ' · passkey ', h('span', { class: 'mono', title: d.credentialId }, `${d.credentialId.slice(0, 10)}…`)),
      ),
    )
  })
  return h('section', { class: 'card section', 'aria-labelledby': 'decisions-title' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'decisions-title' }, 'Decisions'),
        h('p', null, 'Each decision is a passkey signature over this exact transaction, kept as evidence.'),
      ),
    ),
    items.length
      ? h('ol', { class: 'decisions', 'aria-labelledby': 'decisions-title' }, items)
      : h('p', { class: 'empty-inline muted' }, 'No one has approved or rejected this request yet.'),
  )
}
