import { ApiError } from '../api.ts'
import { expiryTimer } from '../approval/expiry.ts'
import { copyButton } from '../ui/copy.ts'
import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { say } from '../ui/status.ts'
import { readResult, type PresentationRequestCreated, type PresentationResult } from './relyingApp.ts'
import { claimLabel, claimPaths, claimRows, failureWords, listWords } from './words.ts'

/**
 * "The request" and "What the app received": the QR code and deep link for the holder's wallet, a countdown, and
 * polling of the result (read once: the server deletes it when read) until verified, failed or expired.
 */

const POLL_MS = 1500

/**
 * The server's QR code as an image. It is SVG text from our own server, but it is still never parsed into this
 * document: as an <img> data URL it cannot run script or reach the page, and the CSP allows `img-src data:`.
 */
function qrImage(svg: string): HTMLImageElement {
  return h('img', {
    class: 'qr', id: 'request-qr', width: 240, height: 240,
    src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`,
    alt: 'QR code of the presentation request, for the holder’s wallet to scan',
  })
}

export interface RequestSection {
  el: HTMLElement
  /** Shows a new request and waits for its answer (any earlier one is dropped). */
  show(created: PresentationRequestCreated, asked: string[], key: string): void
  /** Drops the current request (a new one is being made, or the key was refused). */
  stop(): void
}

export function requestSection(onKeyRefused: (why: string) => void): RequestSection {
  const body = h('div', { class: 'request-body' })
  const el = h('section', { class: 'card section', 'aria-labelledby': 'request-title', id: 'request-section', hidden: true },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'request-title', tabindex: '-1' }, h('span', { class: 'step-no', 'aria-hidden': 'true' }, '3'), 'The holder answers'),
        h('p', null, 'The holder opens the link in their wallet (or scans the code), sees who asks and for what, and agrees or declines.'),
      ),
    ),
    body,
  )
  let run = 0
  let stopTimer: (() => void) | undefined

  function stop(): void {
    run++
    stopTimer?.()
  }

  function outcome(...children: Node[]): void {
    stopTimer?.()
    const out = h('div', { class: 'outcome', id: 'outcome', role: 'group', 'aria-labelledby': 'outcome-title' }, ...children)
    document.getElementById('waiting')?.replaceWith(out)
    document.getElementById('request-qr')?.closest('.offer')?.classList.add('answered')
    document.getElementById('outcome-title')?.focus()
  }

  function verified(result: PresentationResult, asked: string[]): void {
    const claims = result.claims ?? {}
    const rows = claimRows(claims, asked)
    const extra = claimPaths(claims).filter((p) => !asked.includes(p))
    outcome(
      h('div', { class: 'outcome-head' },
        h('h3', { id: 'outcome-title', tabindex: '-1' }, 'What the app received'),
        h('span', { class: 'badge badge-success badge-lg', id: 'outcome-status', 'data-status': 'verified' }, icon('checkCircle', 'sm'), 'Verified'),
      ),
      h('dl', { class: 'claims received', id: 'received-claims', 'aria-labelledby': 'outcome-title' },
        rows.map((r) => h('div', { class: 'claim', 'data-path': r.path }, h('dt', null, r.label), h('dd', null, r.value)))),
      extra.length
        ? h('p', { class: 'notice notice-warning' }, icon('alert'), h('span', null, `Also received, though not asked for: ${listWords(extra.map(claimLabel))}.`))
        : h('p', { class: 'notice notice-success', id: 'nothing-else' }, icon('shield'), h('span', null,
          `Nothing else was received: only ${rows.length === 1 ? 'this claim' : `these ${rows.length} claims`}, with no name, date of birth or other personal data. `
          + 'Sigil checked the issuer’s signature, that the wallet holds the credential’s key, the nonce of this request, expiry and revocation.')),
    )
    say(`Verified. The app received ${listWords(rows.map((r) => `${r.label} (${r.value})`))}, and nothing else.`, 'success')
  }

  function failed(result: PresentationResult): void {
    outcome(
      h('div', { class: 'outcome-head' },
        h('h3', { id: 'outcome-title', tabindex: '-1' }, 'The presentation was refused'),
        h('span', { class: 'badge badge-danger badge-lg', id: 'outcome-status', 'data-status': 'failed' }, icon('alert', 'sm'), 'Not verified'),
      ),
      h('p', { class: 'notice notice-error', id: 'failure' }, icon('alert'), h('span', null,
        `The wallet answered, but ${failureWords(result.reason)}. The app received no claims. Ask again for a new request.`)),
    )
    say('The presentation was refused. The app received no claims.', 'error')
  }

  function expired(): void {
    outcome(
      h('div', { class: 'outcome-head' },
        h('h3', { id: 'outcome-title', tabindex: '-1' }, 'No answer'),
        h('span', { class: 'badge badge-lg', id: 'outcome-status', 'data-status': 'expired' }, icon('clock', 'sm'), 'Expired'),
      ),
      h('p', { class: 'notice notice-warning' }, icon('clock'), h('span', null,
        'The request expired before the holder’s wallet answered (or the holder declined). The app received nothing. Ask again for a new request.')),
    )
    say('The request expired without an answer.', 'warning')
  }

  async function poll(key: string, created: PresentationRequestCreated, asked: string[], mine: number): Promise<void> {
    const waiting = () => document.getElementById('waiting-text')
    while (mine === run) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      if (mine !== run) return
      let result: PresentationResult
      try {
        result = await readResult(key, created.id)
      } catch (err) {
        if (mine !== run) return
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
          stop()
          onKeyRefused('The server no longer accepts this key (revoked, or not a relying app’s). Enter another.')
          return
        }
        waiting()?.replaceChildren('Can’t reach Sigil right now; still trying…')
        continue
      }
      if (mine !== run) return
      waiting()?.replaceChildren('Waiting for the holder’s wallet…')
      if (result.status === 'verified') return verified(result, asked)
      if (result.status === 'failed') return failed(result)
    }
  }

  return {
    el,
    stop,
    show(created, asked, key) {
      stop()
      const mine = run
      const timer = expiryTimer(created.expiresAt, () => {
        if (mine !== run) return
        run++
        expired()
      })
      stopTimer = timer.stop
      el.hidden = false
      body.replaceChildren(h('div', { class: 'offer' },
        h('figure', { class: 'qr-frame' }, qrImage(created.qrSvg), h('figcaption', null, 'Scan with the holder’s wallet')),
        h('div', { class: 'offer-facts' },
          h('div', { class: 'asked-summary' },
            h('h3', { id: 'asked-title' }, 'Asking for'),
            h('ul', { class: 'asked', id: 'asked-claims', 'aria-labelledby': 'asked-title' },
              asked.map((p) => h('li', { 'data-path': p }, icon('check', 'sm'), claimLabel(p))))),
          timer.el,
          h('div', { class: 'fingerprint' },
            h('div', { class: 'fingerprint-head' }, h('label', { for: 'request-link', class: 'label-quiet' }, 'Request link'), copyButton(created.deepLink, 'request link')),
            h('textarea', { class: 'fingerprint-value offer-link', id: 'request-link', readonly: true, rows: 4, spellcheck: 'false', translate: 'no', 'aria-describedby': 'request-link-hint' }, created.deepLink),
            h('p', { class: 'hint', id: 'request-link-hint' }, 'An openid4vp:// link: paste it into the wallet’s “Share with a service”. It works once.'),
          ),
          h('p', { class: 'notice notice-info waiting', id: 'waiting' }, icon('spinner'), h('span', { id: 'waiting-text' }, 'Waiting for the holder’s wallet…')),
        ),
      ))
      document.getElementById('request-title')?.focus()
      void poll(key, created, asked, mine)
    },
  }
}
