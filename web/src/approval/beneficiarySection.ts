import type { ApprovalConditionView, ApprovalView, BeneficiaryPresentationRequest } from '../api.ts'
import { dateTime, relative } from '../format.ts'
import { copyButton } from '../ui/copy.ts'
import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { qrImage } from '../ui/qr.ts'
import { expiryTimer } from './expiry.ts'

/**
 * Travel Rule: "Beneficiary identity", when the request's policy asks for a verified beneficiary. Where it stands
 * (verified, waiting, or why the last attempt failed; codes only, the server shows no personal data here) and, for
 * whoever may ask (the request's approvers and initiator), a button that asks the server for an OpenID4VP request
 * and shows its QR code and link for the beneficiary's wallet.
 */

/** Why a beneficiary presentation failed, in words, by the reason code the server kept. */
const FAILURES: Record<string, string> = {
  beneficiary_name_mismatch: 'the name in the beneficiary’s credential is not the beneficiary named in this transfer',
  beneficiary_name_missing: 'the wallet did not disclose the beneficiary’s name',
  beneficiary_not_screened: 'the beneficiary’s credential does not show a sanctions screening',
  beneficiary_not_accepted: 'the policy still does not accept this beneficiary',
  credential_revoked: 'the beneficiary’s credential has been revoked',
  credential_suspended: 'the beneficiary’s credential is suspended',
  credential_expired: 'the beneficiary’s credential has expired',
  credential_malformed: 'the wallet sent something that is not a credential presentation',
  credential_not_yet_valid: 'the beneficiary’s credential is not valid yet',
  issuer_untrusted: 'the credential comes from an issuer Sigil does not trust',
  status_unavailable: 'Sigil could not check whether the credential was revoked',
  kb_jwt_missing: 'the wallet did not prove it holds the credential',
  kb_jwt_invalid: 'the wallet’s proof that it holds the credential does not verify',
  vp_token_malformed: 'the wallet’s answer could not be read',
  nonce_mismatch: 'the wallet answered a different request',
  audience_mismatch: 'the wallet answered a request for someone else',
  kb_jwt_stale: 'the wallet’s answer was too old',
  state_mismatch: 'the wallet answered a different request',
  response_mode_mismatch: 'the wallet did not encrypt its answer as the request asked',
  response_encryption_invalid: 'the wallet’s encrypted answer could not be opened',
}

export const failureWords = (reason: string): string => FAILURES[reason] ?? `the presentation did not verify (${reason})`

export interface BeneficiaryHandlers {
  /** The person pressed "Ask the beneficiary to verify". */
  ask(button: HTMLButtonElement): void
}

/** The open request for the beneficiary's wallet, while it can still be answered. */
export interface AskedRequest {
  request: BeneficiaryPresentationRequest
}

function standing(c: ApprovalConditionView, status: ApprovalView['status']): { badge: HTMLElement; body: HTMLElement } {
  if (c.met && c.verification) {
    const v = c.verification
    return {
      badge: h('span', { class: 'badge badge-success', id: 'beneficiary-state' }, 'Verified'),
      body: h('div', { class: 'notice notice-success' }, icon('checkCircle'),
        h('p', null, h('strong', null, 'Beneficiary identity: verified.'), ' ',
          `Their KYC credential was checked ${relative(v.verifiedAt)} (${dateTime(v.verifiedAt)}), issued by `,
          h('span', { class: 'mono wrap', translate: 'no' }, v.issuer), '.')),
    }
  }
  if (c.lastFailure) {
    const f = c.lastFailure
    return {
      badge: h('span', { class: 'badge badge-danger', id: 'beneficiary-state' }, 'Last attempt failed'),
      body: h('div', { class: 'notice notice-error', id: 'beneficiary-failure' }, icon('alert'),
        h('p', null, h('strong', null, 'Beneficiary identity: last attempt failed: '), `${failureWords(f.reason)}.`, ' ',
          h('span', { class: 'muted' }, `${dateTime(f.at)} · `, h('code', null, f.reason)))),
    }
  }
  if (status !== 'pending') {
    return { badge: h('span', { class: 'badge', id: 'beneficiary-state' }, 'Not verified'),
      body: h('p', { class: 'muted' }, 'The beneficiary did not verify their identity before the request ended.') }
  }
  return {
    badge: h('span', { class: 'badge badge-warning', id: 'beneficiary-state' }, 'Waiting'),
    body: h('div', { class: 'notice notice-info' }, icon('clock'),
      h('p', null, h('strong', null, 'Beneficiary identity: waiting.'), ' ',
        'The beneficiary has to show a verified KYC credential from their wallet before this transfer can be approved, however many people approve it.')),
  }
}

function askedBlock(asked: AskedRequest, onExpired: () => void): { el: HTMLElement; stop: () => void } {
  const r = asked.request
  const timer = expiryTimer(r.expiresAt, onExpired)
  timer.el.id = 'beneficiary-expiry'
  const el = h('div', { class: 'offer-result', id: 'beneficiary-request' },
    h('h3', { id: 'beneficiary-request-title', tabindex: '-1' }, 'Show this to the beneficiary'),
    h('div', { class: 'offer' },
      h('figure', { class: 'qr-frame' },
        qrImage(r.qrSvg, 'beneficiary-qr', 'QR code of the identity request, for the beneficiary’s wallet to scan'),
        h('figcaption', null, 'Scan with the beneficiary’s wallet')),
      h('div', { class: 'offer-facts' },
        timer.el,
        h('div', { class: 'fingerprint' },
          h('div', { class: 'fingerprint-head' },
            h('label', { for: 'beneficiary-link', class: 'label-quiet' }, 'Link for the beneficiary’s wallet'), copyButton(r.deepLink, 'link for the beneficiary')),
          h('textarea', { class: 'fingerprint-value offer-link', id: 'beneficiary-link', readonly: true, rows: 4, spellcheck: 'false', translate: 'no',
            'aria-describedby': 'beneficiary-link-hint' }, r.deepLink),
          h('p', { class: 'hint', id: 'beneficiary-link-hint' },
            'For a wallet on another device: send it over a channel the beneficiary trusts. It works once. Their wallet shares only their name, KYC level and sanctions screening.'),
        ),
      ),
    ),
  )
  return { el, stop: timer.stop }
}

/**
 * The section, or null when the policy asked for no beneficiary. `asked` is the request shown after pressing
 * the button (kept by the page across re-renders while it is open); `stop` ends its countdown.
 */
export function beneficiarySection(view: ApprovalView, asked: AskedRequest | null, on: BeneficiaryHandlers & { expired(): void }):
  { el: HTMLElement; stop: () => void } | null {
  const c = view.conditions?.find((x) => x.kind === 'beneficiary_kyc')
  if (!c) return null
  const { badge, body } = standing(c, view.status)
  const canAsk = view.me?.canAskBeneficiary === true
  let stop = (): void => {}
  let action: HTMLElement | null = null
  if (canAsk) {
    const button = h('button', { type: 'button', class: asked ? 'btn' : 'btn btn-primary', id: 'ask-beneficiary' },
      icon('user'), asked ? 'Ask again' : 'Ask the beneficiary to verify')
    button.addEventListener('click', () => on.ask(button))
    action = h('div', { class: 'actions' }, button)
  }
  let shown: HTMLElement | null = null
  if (asked && canAsk) {
    const block = askedBlock(asked, on.expired)
    shown = block.el
    stop = block.stop
  }
  const el = h('section', { class: 'card section', 'aria-labelledby': 'beneficiary-title', id: 'beneficiary-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'beneficiary-title' }, 'Beneficiary identity'),
        h('p', null, 'Travel Rule: for this transfer Sigil must hold the verified name of the person receiving it.'),
      ),
      badge,
    ),
    h('div', { class: 'beneficiary-kyc' },
      body,
      c.reasons.length ? h('ul', { class: 'reasons' }, c.reasons.map((reason) => h('li', null, reason))) : null,
      action,
      shown,
    ),
  )
  return { el, stop }
}
