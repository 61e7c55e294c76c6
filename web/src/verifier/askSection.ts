import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { claimLabel, DEFAULT_CLAIMS, OPEN_CLAIMS, REGISTERED_CLAIMS } from './words.ts'

/**
 * "What to ask for": one checkbox per KYC claim, the two the issue names ticked. Claims only registered apps may
 * ask for are offered too, so the page can show the server's refusal (403 disclosure_forbidden).
 */

export interface AskSection {
  el: HTMLElement
  button: HTMLButtonElement
  /** The ticked claim paths, in the order shown. */
  chosen(): string[]
  error(text: string | undefined): void
}

function group(id: string, legend: string, hint: string, paths: readonly string[]): HTMLFieldSetElement {
  return h('fieldset', { 'aria-describedby': `${id}-hint` },
    h('legend', { id }, legend),
    h('p', { class: 'hint', id: `${id}-hint` }, hint),
    h('div', { class: 'claim-options' }, paths.map((path) => {
      const cid = `claim-${path.replaceAll('.', '-')}`
      return h('label', { class: 'checkbox claim-option', for: cid },
        h('input', { type: 'checkbox', id: cid, name: 'claims', value: path, checked: DEFAULT_CLAIMS.includes(path) }),
        h('span', null, claimLabel(path), h('code', { translate: 'no' }, path)))
    })),
  )
}

export function askSection(onAsk: () => void): AskSection {
  const button = h('button', { type: 'submit', class: 'btn btn-primary', id: 'create-request' }, icon('verifier'), 'Ask the holder')
  const error = h('p', { class: 'error', id: 'claims-error' })
  const form = h('form', { novalidate: true, 'aria-labelledby': 'ask-title', 'aria-describedby': 'claims-error' },
    group('claims-legend', 'Any relying app may ask for', 'Yes-or-no answers and levels: enough for most checks, and nothing that identifies the holder.', OPEN_CLAIMS),
    group('claims-registered-legend', 'Only apps registered for them', 'Identity data goes only to apps registered for it (the Travel Rule, nationality screening). Tick one to see Sigil refuse.', REGISTERED_CLAIMS),
    error,
    h('div', { class: 'form-foot' },
      h('p', { class: 'muted' }, 'Sigil signs the request as the verifier; the holder sees who asks and exactly these claims.'),
      button,
    ),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    onAsk()
  })
  const el = h('section', { class: 'card section', 'aria-labelledby': 'ask-title', id: 'ask-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'ask-title' }, h('span', { class: 'step-no', 'aria-hidden': 'true' }, '2'), 'What to ask for'),
        h('p', null, 'Ask only for what the app needs. The holder’s wallet discloses these claims and no others.'),
      ),
    ),
    form,
  )
  return {
    el, button,
    chosen: () => [...form.querySelectorAll<HTMLInputElement>('input[name="claims"]:checked')].map((i) => i.value),
    error(text) {
      error.textContent = text ?? ''
      if (text) error.prepend(icon('alert', 'sm'))
    },
  }
}
