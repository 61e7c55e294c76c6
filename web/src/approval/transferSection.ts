import type { ApprovalView, TransactionIntent } from '../api.ts'
import { copyButton } from '../ui/copy.ts'
import { get } from '../api.ts'
import { h, type Child } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { addressGroups, assetLabel, chainLabel, groupedAmount, sourceLabel } from './format.ts'

/**
 * What will be signed: the amount and asset first, then the destination address in full. The address is
 * never shortened to "0x1234…abcd": address-poisoning attacks plant look-alike addresses whose first and
 * last characters match, so the approver has to be able to compare every character.
 */

function row(label: string, ...value: Child[]): HTMLElement {
  return h('div', null, h('dt', null, label), h('dd', null, ...value))
}

/**
 * Text the requester chose (a memo, a beneficiary's name), isolated: right-to-left text must not reorder the
 * labels and numbers around it ("שלום 1,000 ETH" would otherwise show as "1,000 שלום ETH").
 */
const isolated = (text: string, attrs: Record<string, string> = {}): HTMLElement => h('bdi', attrs, text)

function beneficiary(b: NonNullable<TransactionIntent['beneficiary']>): HTMLElement {
  return h('div', { class: 'beneficiary' },
    b.name ? h('strong', null, isolated(b.name)) : null,
    b.accountRef ? h('span', null, 'Account ', isolated(b.accountRef, { class: 'mono' })) : null,
    b.vasp ? h('span', null, 'At ', isolated(b.vasp)) : null,
    b.country ? h('span', null, `Country: ${b.country}`) : null,
  )
}

/** The destination address, grouped by four for reading, with a copy button. */
export function addressBlock(address: string, labelId: string, label: string): HTMLElement {
  return h('div', { class: 'address-block' },
    h('div', { class: 'address-head' }, h('h3', { id: labelId }, label), copyButton(address, 'destination address')),
    h('p', { class: 'address', id: 'destination', translate: 'no' },
      addressGroups(address).map((g) => h('span', null, g))),
  )
}

export function transferSection(view: ApprovalView, expiry: HTMLElement | null): HTMLElement {
  const i = view.intent
  const asset = assetLabel(i.asset)
  const isContract = asset === i.asset && asset.length > 12
  return h('section', { class: 'card section transfer', 'aria-labelledby': 'transfer-title' },
    h('div', { class: 'transfer-head' },
      h('div', { class: 'transfer-amount' },
        h('h2', { id: 'transfer-title', class: 'eyebrow' }, 'Transfer to sign'),
        h('p', { class: 'amount', id: 'amount' },
          h('span', { class: 'amount-value' }, groupedAmount(i.amount)), ' ',
          h('span', { class: 'amount-asset' }, isContract ? 'tokens' : asset)),
        h('p', { class: 'muted' }, `on ${chainLabel(i.chain)} · from ${sourceLabel(i.source).replace(/^./, (c) => c.toLowerCase())}`),
      ),
      expiry,
    ),
    addressBlock(i.destination, 'destination-title', 'To this address'),
    h('p', { class: 'address-hint' }, icon('alert', 'sm'),
      h('span', null, 'Compare every character with the address the recipient gave you, not only the start and the end.')),
    h('dl', { class: 'details' },
      row('Exact amount', h('span', { class: 'mono' }, i.amount), ` ${isContract ? '' : asset}`),
      row('Asset', isContract ? h('span', { class: 'mono wrap' }, i.asset) : asset),
      row('Network', chainLabel(i.chain)),
      row('From', sourceLabel(i.source)),
      i.memo !== undefined ? row('Memo', isolated(i.memo, { class: 'wrap' })) : null,
      i.beneficiary ? row('Beneficiary', beneficiary(i.beneficiary)) : null,
    ),
    h('div', { class: 'in-words' }, h('h3', null, 'In words'), h('p', { id: 'summary', dir: 'auto' }, isolated(view.summary))),
  )
}

type PolicyMark = 'new' | 'changed' | 'unchanged' | 'removed'
const MARK_LABEL: Record<PolicyMark, string> = { new: 'New', changed: 'Changed', unchanged: 'Unchanged', removed: 'Removed' }

/** One policy of the proposed set: its full Cedar text, open when it is new or changed. */
function policyText(id: string, text: string | undefined, mark: PolicyMark | undefined): HTMLElement {
  const open = mark === undefined || mark === 'new' || mark === 'changed'
  return h('details', { class: 'policy-text', open },
    h('summary', null, h('span', { class: 'mono' }, id), mark ? h('span', { class: mark === 'unchanged' ? 'badge' : 'badge badge-warning' }, MARK_LABEL[mark]) : null),
    text === undefined ? h('p', { class: 'muted' }, 'Taken out of the policy set.') : h('pre', { class: 'mono wrap' }, text))
}

/**
 * A policy change: what is proposed, in full. Every policy's Cedar text is shown (what the passkey signs is the
 * digest of exactly these texts), marked against the set in force while the request is pending and was made
 * under it: new and changed ones open, unchanged ones folded, removed ones listed.
 */
export function policyChangeSection(view: ApprovalView, expiry: HTMLElement | null): HTMLElement {
  const intent = view.intent as unknown as { policies?: Record<string, string>; schema?: string }
  const proposed = intent.policies ?? {}
  const list = h('div', { class: 'policy-texts', id: 'policy-texts' },
    Object.entries(proposed).sort(([a], [b]) => a.localeCompare(b)).map(([id, text]) => policyText(id, text, undefined)))
  if (view.status === 'pending') {
    // Marks need the set in force (roles policy-admin, auditor, treasury, risk); without it the texts stand alone.
    void get<{ version: string; policies: Record<string, string> }>('/v1/policies').then((current) => {
      if (current.version !== view.policyVersion) return
      const ids = [...new Set([...Object.keys(proposed), ...Object.keys(current.policies)])].sort((a, b) => a.localeCompare(b))
      list.replaceChildren(...ids.map((id) => {
        const mark: PolicyMark = !(id in proposed) ? 'removed' : !(id in current.policies) ? 'new' : proposed[id] === current.policies[id] ? 'unchanged' : 'changed'
        return policyText(id, proposed[id], mark)
      }))
    }).catch(() => undefined)
  }
  return h('section', { class: 'card section transfer', 'aria-labelledby': 'transfer-title' },
    h('div', { class: 'transfer-head' },
      h('div', { class: 'transfer-amount' },
        h('h2', { id: 'transfer-title', class: 'eyebrow' }, 'Policy change to approve'),
        h('p', { class: 'amount amount-text', id: 'summary' }, view.summary),
      ),
      expiry,
    ),
    h('h3', null, 'The policies, as they would be'),
    list,
    ...(intent.schema === undefined ? [] : [
      h('h3', null, 'The schema, as it would be'),
      h('p', { class: 'muted', id: 'schema-note' }, 'This change also moves the policy set to the schema of the running Sigil release (what policies may read), which your approval covers too.'),
      h('details', { class: 'policy-text' }, h('summary', null, 'Schema text'), h('pre', { class: 'mono wrap' }, intent.schema)),
    ]),
  )
}
