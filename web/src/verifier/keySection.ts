import { field, textInput } from '../compliance/fields.ts'
import { h } from '../ui/dom.ts'
import { setFieldError } from '../ui/form.ts'
import { icon } from '../ui/icons.ts'
import { clearStatus, say } from '../ui/status.ts'
import { API_KEY_PREFIX, maskKey, savedKey, saveKey } from './relyingApp.ts'

/**
 * "Your relying app": the API key the demo calls the API with. It is typed in (or pasted), kept in this tab's
 * sessionStorage only, shown masked, and can be forgotten.
 */

export interface KeySection {
  el: HTMLElement
  key(): string | undefined
  /** Asks for a key (none yet, or the server refused the one given), with `why` under the field. */
  request(why: string): void
}

const CLI = 'npm run sigil -- clients create --name shop --role relying-app'

export function keySection(): KeySection {
  let key = savedKey()
  const body = h('div', { class: 'key-body' })
  const el = h('section', { class: 'card section', 'aria-labelledby': 'key-title', id: 'key-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'key-title' }, h('span', { class: 'step-no', 'aria-hidden': 'true' }, '1'), 'Your relying app'),
        h('p', null, 'The demo acts as a relying app, such as a shop, with that app’s API key: exactly what its backend would send.'),
      ),
    ),
    body,
  )

  function showForm(error?: string): void {
    const input = textInput({ type: 'password', name: 'apiKey', autocomplete: 'off', class: 'mono-input', placeholder: `${API_KEY_PREFIX}…` })
    const form = h('form', { class: 'lookup', novalidate: true, 'aria-label': 'Relying app API key' },
      field('api-key', 'API key (role relying-app)', input, {
        hint: h('span', null, 'Make one with ', h('code', { class: 'cli', translate: 'no' }, CLI), '. It stays in this tab only and is sent only to this server.'),
      }),
      h('div', { class: 'lookup-action' }, h('button', { type: 'submit', class: 'btn', id: 'use-key' }, icon('key'), 'Use this key')),
    )
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      const v = input.value.trim()
      const problem = !v ? 'Enter the relying app’s API key.' : !v.startsWith(API_KEY_PREFIX) ? `An API key starts with ${API_KEY_PREFIX}.` : undefined
      setFieldError(input, problem)
      if (problem) return input.focus()
      key = v
      saveKey(v)
      clearStatus()
      showKey()
      say('Key set for this tab. Choose the claims to ask for.', 'success')
      document.getElementById('claims-legend')?.closest('fieldset')?.querySelector('input')?.focus()
    })
    body.replaceChildren(form)
    if (error) {
      setFieldError(input, error)
      input.focus()
    }
  }

  function showKey(): void {
    const forget = h('button', { type: 'button', class: 'btn btn-quiet btn-sm', id: 'forget-key' }, icon('trash', 'sm'), 'Forget key')
    forget.addEventListener('click', () => {
      key = undefined
      saveKey(undefined)
      showForm()
      say('Key forgotten in this tab.', 'info')
      document.getElementById('api-key')?.focus()
    })
    body.replaceChildren(h('div', { class: 'key-in-use' },
      h('span', { class: 'item-icon', 'aria-hidden': 'true' }, icon('key')),
      h('p', null, h('span', { class: 'muted' }, 'Using key '), h('code', { id: 'key-in-use', translate: 'no' }, maskKey(key!)),
        h('span', { class: 'hint' }, 'Kept in this tab until it closes.')),
      forget,
    ))
  }

  if (key) showKey()
  else showForm()
  return {
    el,
    key: () => key,
    request(why) {
      key = undefined
      saveKey(undefined)
      showForm(why)
    },
  }
}
