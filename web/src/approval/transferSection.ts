import type { ApprovalView, TransactionIntent } from '../api.ts'
import { copyButton } from '../ui/copy.ts'
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

/** A policy change: what is proposed, in the server's words (the policy text itself is in the evidence). */
export function policyChangeSection(view: ApprovalView, expiry: HTMLElement | null): HTMLElement {
  return h('section', { class: 'card section transfer', 'aria-labelledby': 'transfer-title' },
    h('div', { class: 'transfer-head' },
      h('div', { class: 'transfer-amount' },
        h('h2', { id: 'transfer-title', class: 'eyebrow' }, 'Policy change to approve'),
        h('p', { class: 'amount amount-text', id: 'summary' }, view.summary),
      ),
      expiry,
    ),
  )
}
