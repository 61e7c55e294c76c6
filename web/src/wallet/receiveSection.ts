import { field, textInput } from '../compliance/fields.ts'
import { busy, h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { setFieldError } from '../ui/form.ts'
import { clearStatus, say } from '../ui/status.ts'
import type { Holder } from './holderKey.ts'
import { parseOfferLink, pinOf, receiveCredential, WalletError, type CredentialOffer } from './issuance.ts'

/**
 * "Receive a credential": the holder pastes the offer link the compliance officer gave them (and, when the offer
 * has one, types the PIN they were told another way); the wallet collects the credential with its holder key.
 */
export function receiveSection(holder: () => Promise<Holder>, onReceived: (credential: string, issuer: string) => Promise<void>): HTMLElement {
  const link = h('textarea', { name: 'offer', rows: 3, spellcheck: 'false', autocomplete: 'off', class: 'link-input', placeholder: 'openid-credential-offer://?credential_offer=…' })
  const pin = textInput({ name: 'pin', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 12, class: 'pin-input' })
  const pinField = field('offer-pin-input', 'PIN', pin, { hint: 'The PIN the issuer told you separately (not with the link).' })
  pinField.hidden = true
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'receive' }, icon('download'), 'Get credential')
  const form = h('form', { novalidate: true, 'aria-labelledby': 'receive-title' },
    field('offer-input', 'Offer link', link, { hint: 'Paste the whole link the issuer gave you. It works once.' }),
    pinField,
    h('div', { class: 'actions' }, submit),
  )
  let offer: CredentialOffer | undefined

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    clearStatus()
    setFieldError(pin, undefined)
    try {
      offer = parseOfferLink(link.value)
      setFieldError(link, undefined)
    } catch (err) {
      setFieldError(link, (err as Error).message)
      link.focus()
      return
    }
    const want = pinOf(offer)
    if (want && pinField.hidden) {
      pinField.hidden = false
      pin.maxLength = want.length ?? 12
      pin.focus()
      say(`This offer is protected by a PIN${want.length ? ` of ${want.length} digits` : ''}. Enter it to continue.`, 'info')
      return
    }
    if (want && (!pin.value.trim() || (want.length && pin.value.trim().length !== want.length))) {
      setFieldError(pin, want.length ? `Enter the ${want.length}-digit PIN.` : 'Enter the PIN.')
      pin.focus()
      return
    }
    const current = offer
    void busy(submit, async () => {
      const credential = await receiveCredential(current, want ? pin.value.trim() : undefined, await holder())
      await onReceived(credential, current.credential_issuer)
    }).then(() => {
      form.reset()
      pinField.hidden = true
      say('Credential received and stored in this browser, bound to your wallet key.', 'success')
      document.getElementById('credentials-title')?.focus()
    }, (err: unknown) => {
      if (err instanceof WalletError && err.code === 'grant_refused' && !pinField.hidden) {
        setFieldError(pin, err.message)
        pin.focus()
        return
      }
      say(err instanceof WalletError ? err.message : 'The credential couldn’t be received. Try again; if it keeps happening ask for a new offer.', 'error')
    })
  })

  return h('section', { class: 'card section', 'aria-labelledby': 'receive-title', id: 'receive-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'receive-title' }, 'Receive a credential'),
        h('p', null, 'When a KYC provider issues you a credential, it gives you an offer link and usually a PIN. The credential is kept only in this browser.'),
      ),
    ),
    form,
  )
}
