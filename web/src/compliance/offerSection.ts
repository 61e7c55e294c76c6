import { ApiError, post, type KycOffer } from '../api.ts'
import { expiryTimer } from '../approval/expiry.ts'
import { date } from '../format.ts'
import { errorMessage } from '../messages.ts'
import { endedElsewhere } from '../session.ts'
import { copyButton } from '../ui/copy.ts'
import { busy, h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { clearStatus, say } from '../ui/status.ts'
import { setFieldError } from '../ui/form.ts'
import { checkbox, field, subjectRefProblem, textInput } from './fields.ts'

/**
 * "Create an offer": for the subject just submitted, a credential offer (OpenID4VCI pre-authorized code) that
 * the holder's wallet redeems once, shown as a QR code and a link, with an optional PIN shown only here.
 */

/**
 * The server's QR code as an image. It is SVG text from our own server, but it is still never parsed into this
 * document: as an <img> data URL it cannot run script or reach the page, and the CSP allows `img-src data:`.
 */
function qrImage(svg: string): HTMLImageElement {
  return h('img', {
    class: 'qr', id: 'offer-qr', width: 240, height: 240,
    src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`,
    alt: 'QR code of the credential offer, for the holder’s wallet to scan',
  })
}

/**
 * The PIN, hidden until the officer asks for it: the screen with the QR code is turned to the holder for scanning,
 * and the PIN must not be on it then (a photo of both would give the credential away).
 */
function pinBlock(pin: string): HTMLElement {
  // Digits spaced by layout only, so the PIN copies and reads out as it is.
  const value = h('p', { class: 'pin', id: 'offer-pin', translate: 'no', hidden: true }, pin)
  const masked = h('p', { class: 'pin pin-masked', 'aria-hidden': 'true' }, '••••••')
  const toggle = h('button', { type: 'button', class: 'btn btn-sm', id: 'show-pin', 'aria-expanded': 'false', 'aria-controls': 'offer-pin' },
    icon('eye', 'sm'), h('span', null, 'Show PIN'))
  toggle.addEventListener('click', () => {
    const show = value.hidden
    value.hidden = !show
    masked.hidden = show
    toggle.setAttribute('aria-expanded', String(show))
    toggle.lastChild!.textContent = show ? 'Hide PIN' : 'Show PIN'
  })
  return h('div', { class: 'pin-block', role: 'group', 'aria-labelledby': 'pin-label' },
    h('div', { class: 'pin-head' },
      h('h4', { id: 'pin-label' }, 'PIN'),
      h('span', { class: 'badge badge-warning' }, icon('alert', 'sm'), 'Shown once'),
    ),
    h('div', { class: 'pin-row' }, value, masked, toggle),
    h('p', { class: 'hint' }, 'Tell the holder this PIN another way: in person or by phone, never next to the QR code. Hide it before you turn the screen to the holder. Sigil keeps only a hash of it and can’t show it again; three wrong tries void the offer.'),
  )
}

export interface OfferSection {
  el: HTMLElement
  /** A subject was submitted: offers are now created for it. */
  setSubject(created: { subjectRef: string; expiresAt?: string }): void
}

/** Before any submission here: data a KYC vendor sent through the API is named by the reference it was given. */
function vendorReferenceForm(use: (subjectRef: string) => void): HTMLElement {
  const input = textInput({ name: 'subjectRef', maxlength: 60, placeholder: 'ksub_…', class: 'mono-input' })
  const form = h('form', { class: 'lookup', novalidate: true, 'aria-label': 'Offer for data from a KYC vendor' },
    field('vendor-ref', 'Subject reference from a KYC vendor', input, { hint: 'For data your KYC vendor sent to Sigil directly: the ksub_… reference it was given.' }),
    h('div', { class: 'lookup-action' }, h('button', { type: 'submit', class: 'btn' }, 'Use this reference')),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const v = input.value.trim()
    const problem = subjectRefProblem(v)
    setFieldError(input, problem)
    if (problem) input.focus()
    else use(v)
  })
  return form
}

export function offerSection(onSubject: (subjectRef: string) => void): OfferSection {
  let stopTimer: (() => void) | undefined
  const body = h('div', { class: 'offer-body' },
    h('p', { class: 'muted', id: 'offer-empty' }, 'Submit verified KYC data above first: the offer is made for that person.'),
    vendorReferenceForm((subjectRef) => {
      setSubject({ subjectRef })
      onSubject(subjectRef)
      document.getElementById('create-offer')?.focus()
    }),
  )
  const el = h('section', { class: 'card section', 'aria-labelledby': 'offer-title', id: 'offer-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'offer-title', tabindex: '-1' }, h('span', { class: 'step-no', 'aria-hidden': 'true' }, '2'), 'Create an offer for the holder'),
        h('p', null, 'The holder scans the QR code with their wallet, which collects the credential once. An offer expires if it isn’t used.'),
      ),
    ),
    body,
  )

  function showOffer(result: HTMLElement, offer: KycOffer): void {
    stopTimer?.()
    const timer = expiryTimer(offer.expiresAt, () => say('The offer has expired. Create a new one if the holder still needs it.', 'warning'))
    stopTimer = timer.stop
    result.replaceChildren(
      h('h3', { id: 'offer-ready', tabindex: '-1' }, 'Offer ready'),
      h('div', { class: 'offer' },
        h('figure', { class: 'qr-frame' }, qrImage(offer.qrSvg), h('figcaption', null, 'Scan with the holder’s wallet')),
        h('div', { class: 'offer-facts' },
          timer.el,
          h('div', { class: 'fingerprint' },
            h('div', { class: 'fingerprint-head' }, h('label', { for: 'offer-link', class: 'label-quiet' }, 'Offer link'), copyButton(offer.offerUri, 'offer link')),
            // Read-only text the officer can select, scroll and copy: the link is long.
            h('textarea', { class: 'fingerprint-value offer-link', id: 'offer-link', readonly: true, rows: 4, spellcheck: 'false', translate: 'no', 'aria-describedby': 'offer-link-hint' }, offer.offerUri),
            h('p', { class: 'hint', id: 'offer-link-hint' }, 'For a wallet on another device: send it over a channel the holder trusts. It works once.'),
          ),
          offer.txCode ? pinBlock(offer.txCode) : h('p', { class: 'notice notice-info' }, icon('info'), h('span', null, 'No PIN: whoever scans the code first gets the credential. Show it to the holder only.')),
        ),
      ),
    )
  }

  function setSubject(created: { subjectRef: string; expiresAt?: string }): void {
    stopTimer?.()
    const pin = checkbox('offer-pin-wanted', 'Protect the offer with a PIN (recommended)', 'The wallet asks for a 6-digit PIN, which you tell the holder yourself.', true)
    const create = h('button', { type: 'button', class: 'btn btn-primary', id: 'create-offer' }, icon('plus'), 'Create offer')
    const result = h('div', { class: 'offer-result', id: 'offer-result' })
    create.addEventListener('click', () => {
      clearStatus()
      void busy(create, () => post<KycOffer>('/v1/kyc/offers', { subjectRef: created.subjectRef, txCode: pin.input.checked })).then((offer) => {
        showOffer(result, offer)
        create.lastChild!.textContent = 'Create a new offer'
        // The offer on screen is the main thing now; another one is the exception.
        create.className = 'btn'
        say(offer.txCode ? 'Offer created. Show the QR code to the holder and tell them the PIN.' : 'Offer created. Show the QR code to the holder.', 'success')
        document.getElementById('offer-ready')?.focus()
      }, (err: unknown) => {
        if (endedElsewhere(err)) return
        // Issued already (or the data expired): the offer shown was used or can't be, so it goes.
        if (err instanceof ApiError && (err.code === 'kyc_subject_erased' || err.code === 'kyc_subject_not_found')) {
          stopTimer?.()
          result.replaceChildren()
        }
        say(errorMessage(err, 'get'), 'error')
      })
    })
    body.replaceChildren(
      h('div', { class: 'fingerprint subject-ref' },
        h('div', { class: 'fingerprint-head' }, h('h3', { id: 'subject-ref-label' }, 'Subject reference'), copyButton(created.subjectRef, 'subject reference')),
        h('p', { class: 'fingerprint-value', id: 'subject-ref', translate: 'no' }, created.subjectRef),
        h('p', { class: 'hint' }, `Save it in the case file now: it’s the only way to find this person’s credentials later, and Sigil keeps only its hash. Treat it as a secret.${created.expiresAt ? ` The data waits for the wallet until ${date(created.expiresAt)}.` : ''}`),
      ),
      h('div', { class: 'offer-controls' }, pin.el, h('div', { class: 'actions' }, create)),
      result,
    )
  }

  return { el, setSubject }
}
