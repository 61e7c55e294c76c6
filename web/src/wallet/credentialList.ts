import { date, dateTime } from '../format.ts'
import { confirmDialog } from '../ui/dialog.ts'
import { busy, h } from '../ui/dom.ts'
import { icon, type IconName } from '../ui/icons.ts'
import { clearStatus, say } from '../ui/status.ts'
import { siteOf, viewCredential, type CredentialView } from './claims.ts'
import { checkCredentialStatus, type CheckedStatus, type CredentialStatus } from './status.ts'
import { deleteCredential, type StoredCredential } from './store.ts'

/**
 * "Your credentials": each stored credential with its issuer, dates, status and every claim it holds (the issuer's
 * id and the type URL folded away under "Technical details"), and a way to remove it from this browser.
 */

const BADGES: Record<CredentialStatus, { tone: string; label: string; icon: IconName }> = {
  valid: { tone: 'badge-success', label: 'Valid', icon: 'checkCircle' },
  revoked: { tone: 'badge-danger', label: 'Revoked', icon: 'alert' },
  suspended: { tone: 'badge-warning', label: 'Suspended', icon: 'alert' },
  expired: { tone: 'badge-danger', label: 'Expired', icon: 'clock' },
  unknown: { tone: '', label: 'Status unknown', icon: 'info' },
}

const NOTES: Partial<Record<CredentialStatus | 'offline' | 'unverified', string>> = {
  revoked: 'The issuer has revoked this credential. Services will refuse it.',
  suspended: 'The issuer has suspended this credential for now. Services will refuse it until it is reinstated.',
  expired: 'This credential has expired. Ask the issuer for a new one.',
  offline: 'The issuer’s status list couldn’t be reached (are you offline?), so whether it still holds is unknown.',
  unverified: 'The issuer’s status list didn’t verify, so whether this credential still holds is unknown.',
}

function statusBadge(checked: CheckedStatus | undefined): HTMLElement {
  if (!checked) return h('span', { class: 'badge', 'data-status': 'checking' }, icon('spinner', 'sm'), 'Checking status')
  const b = BADGES[checked.status]
  return h('span', { class: `badge ${b.tone}`, 'data-status': checked.status }, icon(b.icon, 'sm'), b.label)
}

/** The badge and its note, once the status list has been checked (see status.ts). */
async function showStatus(v: CredentialView, badge: HTMLElement, note: HTMLElement): Promise<void> {
  const checked = await checkCredentialStatus(v)
  badge.replaceChildren(statusBadge(checked))
  const text = NOTES[checked.why ?? checked.status]
  note.hidden = !text
  if (!text) return
  note.className = `notice ${checked.status === 'unknown' ? 'notice-info' : 'notice-warning'} status-note`
  note.replaceChildren(icon(checked.status === 'unknown' ? 'info' : 'alert'), h('span', null, text))
}

/** Asks first, then deletes the credential from this browser's wallet and shows the list again (`refresh`). */
async function remove(stored: StoredCredential, site: string, button: HTMLButtonElement, refresh: () => Promise<void>): Promise<void> {
  const ok = await confirmDialog({
    title: 'Remove this credential from this browser?',
    body: [
      h('p', null, `The KYC credential from ${site} will be deleted from this browser. It can’t be restored: to have one again, ask the issuer for a new credential.`),
      h('p', null, 'You also can’t use it any more to get back into your account with this browser. What you already shared with services stays with them.'),
    ],
    confirmLabel: 'Remove credential',
    danger: true,
  })
  if (!ok) return
  clearStatus()
  try {
    await busy(button, () => deleteCredential(stored.id))
    await refresh()
  } catch {
    say('The credential couldn’t be removed from this browser’s storage. Reload the page and try again.', 'error')
    return
  }
  say(`The credential from ${site} was removed from this browser.`, 'success')
  document.getElementById('credentials-title')?.focus()
}

function card(stored: StoredCredential, v: CredentialView, n: number, refresh: () => Promise<void>): HTMLElement {
  const titleId = `credential-${n}-title`
  const site = siteOf(v.issuer)
  // The status arrives after the card is shown; the region is polite so a change (revoked) is read out.
  const badge = h('span', { class: 'credential-status', id: `${titleId}-status`, 'aria-live': 'polite' }, statusBadge(undefined))
  const note = h('p', { class: 'notice status-note', hidden: true })
  void showStatus(v, badge, note)
  const removeButton = h('button', { type: 'button', class: 'btn btn-sm btn-danger-quiet', id: `${titleId}-remove` },
    icon('trash', 'sm'), 'Remove from this browser', h('span', { class: 'visually-hidden' }, `: the KYC credential from ${site}`))
  removeButton.addEventListener('click', () => void remove(stored, site, removeButton, refresh))
  return h('li', { class: 'card wallet-credential', 'aria-labelledby': titleId },
    h('div', { class: 'wallet-credential-head' },
      h('span', { class: 'item-icon', 'aria-hidden': 'true' }, icon('shield')),
      h('div', null,
        h('h3', { id: titleId }, 'KYC credential'),
        h('p', { class: 'muted' }, `From ${site}`),
      ),
      badge,
    ),
    note,
    h('dl', { class: 'details details-compact' },
      h('div', null, h('dt', null, 'Issued'), h('dd', null, v.issuedAt ? dateTime(v.issuedAt.toISOString()) : dateTime(stored.receivedAt))),
      h('div', null, h('dt', null, 'Expires'), h('dd', null, v.expiresAt ? date(v.expiresAt.toISOString()) : 'No expiry')),
    ),
    h('h4', { class: 'claims-title', id: `${titleId}-claims` }, 'What it says about you'),
    h('dl', { class: 'claims', 'aria-labelledby': `${titleId}-claims` },
      v.rows.map((r) => h('div', { class: 'claim', 'data-path': r.path }, h('dt', null, r.label), h('dd', null, r.value)))),
    h('p', { class: 'hint' }, 'You choose what to share each time: services see only the claims they ask for and you agree to.'),
    // For developers and support: what the credential names itself, exactly.
    h('details', { class: 'technical' },
      h('summary', null, 'Technical details'),
      h('dl', { class: 'details details-compact' },
        h('div', null, h('dt', null, 'Issuer ID'), h('dd', { class: 'mono wrap', translate: 'no' }, v.issuer)),
        h('div', null, h('dt', null, 'Type'), h('dd', { class: 'mono wrap', translate: 'no' }, v.vct)),
      ),
    ),
    h('div', { class: 'wallet-credential-foot' }, removeButton),
  )
}

/** Renders the list into `el` (empty state included). */
export async function renderCredentials(el: HTMLElement, stored: StoredCredential[], refresh: () => Promise<void>): Promise<void> {
  if (stored.length === 0) {
    el.replaceChildren(h('p', { class: 'empty', id: 'no-credentials' }, 'No credentials yet. Receive one with an offer link above.'))
    return
  }
  const views = await Promise.all(stored.map((s) => viewCredential(s.credential)))
  el.replaceChildren(h('ul', { class: 'wallet-credentials', 'aria-label': 'Stored credentials' }, stored.map((s, i) => card(s, views[i]!, i, refresh))))
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
