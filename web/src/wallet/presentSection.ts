import { field } from '../compliance/fields.ts'
import { busy, h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { setFieldError } from '../ui/form.ts'
import { clearStatus, say } from '../ui/status.ts'
import { claimLabel, siteOf } from './claims.ts'
import type { Holder } from './holderKey.ts'
import { WalletError } from './issuance.ts'
import { readRequestLink, sharePresentation, type PresentationRequest } from './presentation.ts'

/**
 * "Share with a service": the holder pastes a presentation request link; the wallet shows who asks and exactly
 * which claims; only on Share does it send those claims (and nothing else), bound to the request by a KB-JWT.
 */
export function presentSection(holder: () => Promise<Holder>, credentialFor: (r: PresentationRequest) => Promise<string | undefined>): HTMLElement {
  const link = h('textarea', { name: 'request', rows: 3, spellcheck: 'false', autocomplete: 'off', class: 'link-input', placeholder: 'openid4vp://?client_id=…&request=…' })
  const review = h('button', { type: 'submit', class: 'btn', id: 'review-request' }, 'Review request')
  const consent = h('div', { id: 'consent', class: 'consent-area' })
  const form = h('form', { novalidate: true, 'aria-labelledby': 'present-title' },
    field('request-input', 'Request link', link, { hint: 'Paste the link the service shows you. Nothing is shared until you agree.' }),
    h('div', { class: 'actions' }, review),
  )

  function done(text: string, tone: 'success' | 'info'): void {
    consent.replaceChildren(h('p', { class: `notice notice-${tone}`, id: 'share-result', tabindex: '-1' }, icon(tone === 'success' ? 'checkCircle' : 'info'), h('span', null, text)))
    form.reset()
    document.getElementById('share-result')?.focus()
  }

  function ask(request: PresentationRequest, credential: string): void {
    const share = h('button', { type: 'button', class: 'btn btn-primary', id: 'share' }, icon('check'), 'Share')
    const decline = h('button', { type: 'button', class: 'btn', id: 'decline' }, 'Decline')
    const who = request.clientId
    const site = siteOf(who)
    decline.addEventListener('click', () => {
      // Sigil's response endpoint takes only a vp_token (no OpenID4VP error response yet), so the service isn't
      // told: its request simply goes unanswered until it expires.
      clearStatus()
      say('Declined. Nothing was shared.', 'info')
      done(`You declined ${site}’s request. Nothing was shared; the service’s request will expire unanswered.`, 'info')
    })
    share.addEventListener('click', () => {
      clearStatus()
      decline.disabled = true
      void busy(share, async () => sharePresentation(request, credential, await holder())).then(() => {
        say(`Shared with ${site}.`, 'success')
        done(`Shared with ${site}: ${request.claims.map((c) => claimLabel(c.join('.'))).join(', ')}. Nothing else was sent.`, 'success')
      }, (err: unknown) => {
        decline.disabled = false
        say(err instanceof WalletError ? err.message : 'The presentation couldn’t be sent. Try again.', 'error')
      })
    })
    consent.replaceChildren(h('div', { class: 'consent', role: 'group', 'aria-labelledby': 'consent-title' },
      h('h3', { id: 'consent-title', tabindex: '-1' }, 'A service asks for your information'),
      h('dl', { class: 'details' },
        h('div', null, h('dt', null, 'Who asks'), h('dd', { translate: 'no' },
          h('strong', { id: 'requester-site' }, siteOf(who)), h('span', { class: 'requester-id', id: 'requester' }, who))),
        h('div', null, h('dt', null, 'Answer goes to'), h('dd', { translate: 'no' }, new URL(request.responseUri).host)),
        h('div', null, h('dt', null, 'Sent'), h('dd', { id: 'answer-protection' },
          request.encryption ? 'Encrypted so that only this service can read it' : 'Over a secure connection (HTTPS)')),
      ),
      h('p', { class: 'consent-lead', id: 'asked-lead' }, `It asks for ${request.claims.length === 1 ? 'this claim' : `these ${request.claims.length} claims`} from your KYC credential, and nothing else:`),
      h('ul', { class: 'asked', 'aria-labelledby': 'asked-lead', id: 'asked-claims' },
        request.claims.map((c) => h('li', { 'data-path': c.join('.') }, icon('check', 'sm'), claimLabel(c.join('.'))))),
      h('p', { class: 'hint' }, 'Your name, date of birth, address and the rest stay in your wallet. Sharing proves it’s your credential with your wallet key, for this request only.'),
      h('div', { class: 'actions' }, share, decline),
    ))
    document.getElementById('consent-title')?.focus()
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    clearStatus()
    consent.replaceChildren()
    setFieldError(link, undefined)
    // The request is opened only once its signature checks out against the asking service's DID document.
    void busy(review, async () => {
      const request = await readRequestLink(link.value)
      return { request, credential: await credentialFor(request) }
    }).then(({ request, credential }) => {
      if (!credential) {
        say('You have no valid credential this service accepts (none, or only revoked, suspended or expired ones). Receive a new one first.', 'warning')
        return
      }
      ask(request, credential)
    }, (err: unknown) => {
      if (!(err instanceof WalletError)) return say('The request couldn’t be opened. Try again.', 'error')
      setFieldError(link, err.message)
      link.focus()
    })
  })

  return h('section', { class: 'card section', 'aria-labelledby': 'present-title', id: 'present-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'present-title' }, 'Share with a service'),
        h('p', null, 'A service that needs proof, such as “over 18”, gives you a request link. You see who asks and for what before anything is sent.'),
      ),
    ),
    form,
    consent,
  )
}
