import type { Me } from '../api.ts'
import { credentialsSection } from '../compliance/credentialsSection.ts'
import { offerSection } from '../compliance/offerSection.ts'
import { subjectSection } from '../compliance/subjectSection.ts'
import { errorMessage } from '../messages.ts'
import { endedElsewhere, requireUser } from '../session.ts'
import { byId, h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { go, say } from '../ui/status.ts'
import { mountShell, startPage } from './common.ts'

/**
 * The compliance console (issue 7): a compliance officer enters verified KYC data, creates a credential offer
 * that the holder's wallet redeems (QR code, link, PIN shown once), and finds issued credentials by subject
 * reference to revoke, suspend or reinstate them. Staff sign in with passkeys only; the server checks the
 * `compliance` role and the issuance policy on every call, and this page only explains when it is missing.
 */

startPage()

/** What Sigil keeps about the person, in plain words (server/kyc: sealed until issuance, then erased). */
function privacySection(): HTMLElement {
  return h('section', { class: 'card callout privacy', 'aria-labelledby': 'privacy-title' },
    h('span', { class: 'callout-icon', 'aria-hidden': 'true' }, icon('shield')),
    h('div', { class: 'callout-body' },
      h('h2', { id: 'privacy-title' }, 'Sigil keeps no personal data after issuance'),
      h('p', null, 'The data you enter is stored encrypted under the subject reference, which Sigil itself keeps only as a hash. When the holder’s wallet collects the credential, the data is erased: Sigil keeps only hashes, the credential type, its status-list entry and dates. Data that is never collected is dropped after 30 days, unless your operator has turned on retention.'),
      h('p', null, 'The holder then shares only what each service needs, such as “over 18” and “sanctions screened”, without a name or birth date.'),
    ),
  )
}

/** Links to the three parts of the console: the credential lookup is far below the long KYC form. */
function pageNav(): HTMLElement {
  const parts: [string, string][] = [['#kyc-section', 'Enter data'], ['#offer-section', 'Make an offer'], ['#issued-section', 'Issued credentials']]
  return h('nav', { class: 'page-nav', 'aria-label': 'On this page' },
    h('ul', null, parts.map(([href, label]) => h('li', null, h('a', { href }, label)))))
}

function needsRoleSection(me: Me): HTMLElement {
  return h('section', { class: 'card callout', 'aria-labelledby': 'role-title', id: 'needs-role' },
    h('span', { class: 'callout-icon callout-icon-warning', 'aria-hidden': 'true' }, icon('alert')),
    h('div', { class: 'callout-body' },
      h('h2', { id: 'role-title' }, 'This console needs the compliance role'),
      h('p', null, `Your account (@${me.user.handle}) doesn’t have it, so you can’t enter KYC data, create offers or revoke credentials. If your job needs it, ask a Sigil administrator to give your account the compliance role, then reload this page.`),
      h('p', null, 'Compliance staff sign in with a security key (a device-bound passkey). Once you have the role, add one on your account page while you are still signed in: other passkeys won’t sign you in any more.'),
    ),
    h('div', { class: 'actions' }, h('a', { class: 'btn', href: '/account.html' }, 'Back to your account')),
  )
}

async function main(): Promise<void> {
  const me = await requireUser()
  if (me.session.kind === 'recovery') return go('/upgrade.html', 'Add a new passkey to finish signing in.', 'info')
  mountShell(me.user, '/compliance.html')
  const summary = byId('compliance-summary')
  if (!me.user.roles.includes('compliance')) {
    summary.textContent = 'Issuing and revoking KYC credentials.'
    byId('sections').replaceChildren(needsRoleSection(me))
    byId('main').removeAttribute('aria-busy')
    return
  }
  summary.textContent = 'Issue KYC credentials to holders’ wallets from verified data, and revoke them when needed.'
  const credentials = credentialsSection()
  const offer = offerSection((subjectRef) => credentials.prefill(subjectRef))
  const subject = subjectSection((created) => {
    offer.setSubject(created)
    credentials.prefill(created.subjectRef)
    say('The KYC data checked out and is stored sealed; the form was cleared. Save the subject reference, then create the offer.', 'success')
    byId('offer-title').focus()
  })
  byId('sections').replaceChildren(pageNav(), privacySection(), subject, offer.el, credentials.el)
  byId('main').removeAttribute('aria-busy')
}

main().catch((err: unknown) => {
  if (endedElsewhere(err)) return
  byId('main').removeAttribute('aria-busy')
  byId('compliance-summary').textContent = 'The compliance console couldn’t be loaded.'
  byId('sections').replaceChildren()
  say(`${errorMessage(err, 'get')} Reload the page to try again.`, 'error')
})
