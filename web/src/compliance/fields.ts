import { h, type Child } from '../ui/dom.ts'
import type { Field } from '../ui/form.ts'

/**
 * Labelled form fields for the console: each control is tied to its hint and its error message with
 * aria-describedby (the error paragraph is `${id}-error`, as ui/form.ts expects).
 */

export interface FieldOptions {
  hint?: Child
  required?: boolean
  /** Extra class on the field wrapper (`field-wide` spans both columns of a `.form-grid`). */
  class?: string
}

function described(id: string, hint: Child): string {
  return hint ? `${id}-hint ${id}-error` : `${id}-error`
}

/** A label, the control, its hint and its (empty until needed) error. */
export function field(id: string, label: string, control: Field, o: FieldOptions = {}): HTMLElement {
  control.id = id
  control.setAttribute('aria-describedby', described(id, o.hint))
  if (o.required) control.required = true
  return h('div', { class: o.class ? `field ${o.class}` : 'field' },
    h('label', { for: id }, label, o.required ? h('span', { class: 'required-mark', 'aria-hidden': 'true' }, 'Required') : null),
    control,
    o.hint ? h('p', { id: `${id}-hint`, class: 'hint' }, o.hint) : null,
    h('p', { id: `${id}-error`, class: 'error' }),
  )
}

export function textInput(attrs: Record<string, string | number | boolean> = {}): HTMLInputElement {
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs })
}

export function select(options: [value: string, label: string][], attrs: Record<string, string | boolean> = {}): HTMLSelectElement {
  return h('select', attrs, options.map(([value, label]) => h('option', { value }, label)))
}

/** A checkbox with its label beside it and a hint below, as one field. */
export function checkbox(id: string, label: string, hint: string, checked = false): { el: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { type: 'checkbox', id, checked, 'aria-describedby': `${id}-hint` })
  const el = h('div', { class: 'field field-check' },
    h('label', { class: 'checkbox', for: id }, input, h('span', null, label)),
    h('p', { id: `${id}-hint`, class: 'hint' }, hint),
  )
  return { el, input }
}

/** What a subject reference looks like (server/kyc/wire.ts); the message for one that doesn't. */
export function subjectRefProblem(value: string): string | undefined {
  return /^ksub_[A-Za-z0-9_-]{43}$/.test(value) ? undefined : 'Enter a subject reference: ksub_ and 43 more letters, digits, - or _.'
}
