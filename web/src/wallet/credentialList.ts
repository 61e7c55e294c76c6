import { date, dateTime } from '../format.ts'
import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { siteOf, viewCredential, type CredentialView } from './claims.ts'
import type { StoredCredential } from './store.ts'

/** "Your credentials": each stored credential with its issuer, type, dates, status and every claim it holds. */

function statusBadge(v: CredentialView, now = Date.now()): HTMLElement {
  if (v.expiresAt && v.expiresAt.getTime() < now) return h('span', { class: 'badge badge-danger', 'data-status': 'expired' }, 'Expired')
  return h('span', { class: 'badge badge-success', 'data-status': 'valid' }, icon('checkCircle', 'sm'), 'Valid')
}

function card(stored: StoredCredential, v: CredentialView, n: number): HTMLElement {
  const titleId = `credential-${n}-title`
  return h('li', { class: 'card wallet-credential', 'aria-labelledby': titleId },
    h('div', { class: 'wallet-credential-head' },
      h('span', { class: 'item-icon', 'aria-hidden': 'true' }, icon('shield')),
      h('div', null,
        h('h3', { id: titleId }, 'KYC credential'),
        h('p', { class: 'muted' }, `From ${siteOf(v.issuer)}`),
      ),
      statusBadge(v),
    ),
    h('dl', { class: 'details details-compact' },
      h('div', null, h('dt', null, 'Issuer'), h('dd', { translate: 'no' }, v.issuer)),
      h('div', null, h('dt', null, 'Type'), h('dd', { translate: 'no' }, v.vct)),
      h('div', null, h('dt', null, 'Issued'), h('dd', null, v.issuedAt ? dateTime(v.issuedAt.toISOString()) : dateTime(stored.receivedAt))),
      h('div', null, h('dt', null, 'Expires'), h('dd', null, v.expiresAt ? date(v.expiresAt.toISOString()) : 'No expiry')),
    ),
    h('h4', { class: 'claims-title', id: `${titleId}-claims` }, 'What it says about you'),
    h('dl', { class: 'claims', 'aria-labelledby': `${titleId}-claims` },
      v.rows.map((r) => h('div', { class: 'claim', 'data-path': r.path }, h('dt', null, r.label), h('dd', null, r.value)))),
    h('p', { class: 'hint' }, 'You choose what to share each time: services see only the claims they ask for and you agree to.'),
  )
}

/** Renders the list into `el` (empty state included). */
export async function renderCredentials(el: HTMLElement, stored: StoredCredential[]): Promise<void> {
  if (stored.length === 0) {
    el.replaceChildren(h('p', { class: 'empty', id: 'no-credentials' }, 'No credentials yet. Receive one with an offer link above.'))
    return
  }
  const views = await Promise.all(stored.map((s) => viewCredential(s.credential)))
  el.replaceChildren(h('ul', { class: 'wallet-credentials', 'aria-label': 'Stored credentials' }, stored.map((s, i) => card(s, views[i]!, i))))
}

export function credentialsSection(): { el: HTMLElement; list: HTMLElement } {
  const list = h('div', { id: 'credential-list' })
  const el = h('section', { class: 'card section', 'aria-labelledby': 'credentials-title', id: 'credentials-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'credentials-title', tabindex: '-1' }, 'Your credentials'),
        h('p', null, 'Kept in this browser only, for this account. Your wallet key can’t be copied out of the browser, not even by Sigil.'),
      ),
    ),
    list,
  )
  return { el, list }
}
