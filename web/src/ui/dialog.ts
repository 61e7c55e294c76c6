import { h, type Child } from './dom.ts'

/**
 * Modal dialogs on the native <dialog> element: it traps focus, closes on Escape, and gives focus back to
 * the control that opened it. Each dialog is built when needed and removed when closed.
 */

export interface DialogParts {
  title: string
  body: Child[]
  actions: (close: (value: string) => void) => HTMLElement[]
  /** The element to focus first; by default the first input, else the first action. */
  initialFocus?: (dialog: HTMLDialogElement) => HTMLElement | null
  onClose?: () => void
  /** Wider, for content such as the recovery codes. */
  wide?: boolean
}

let seq = 0

/** Opens a dialog; resolves with the value its action closed it with ('' when dismissed with Escape). */
export function openDialog(parts: DialogParts): Promise<string> {
  const id = `dialog-${++seq}`
  const dialog = h('dialog', { 'aria-labelledby': `${id}-title`, class: parts.wide ? 'dialog-wide' : null })
  return new Promise((resolve) => {
    const close = (value: string): void => dialog.close(value)
    const actions = parts.actions(close)
    dialog.append(
      h('div', { class: 'dialog-body' }, h('h2', { id: `${id}-title` }, parts.title), ...parts.body),
      h('div', { class: 'dialog-actions' }, ...actions),
    )
    dialog.addEventListener('close', () => {
      parts.onClose?.()
      resolve(dialog.returnValue)
      dialog.remove()
    })
    document.body.append(dialog)
    dialog.showModal()
    const first = parts.initialFocus?.(dialog) ?? dialog.querySelector<HTMLElement>('input') ?? actions[actions.length - 1] ?? null
    first?.focus()
  })
}

export interface ConfirmOptions {
  title: string
  body: Child[]
  confirmLabel: string
  danger?: boolean
}

export async function confirmDialog(o: ConfirmOptions): Promise<boolean> {
  const value = await openDialog({
    title: o.title,
    body: o.body,
    actions: (close) => [
      h('button', { type: 'button', class: 'btn', onclick: () => close('cancel') }, 'Cancel'),
      h('button', { type: 'button', class: o.danger ? 'btn btn-danger' : 'btn btn-primary', onclick: () => close('confirm') }, o.confirmLabel),
    ],
  })
  return value === 'confirm'
}

export interface PromptOptions {
  title: string
  label: string
  value: string
  hint: string
  submitLabel: string
  maxLength: number
  /** Returns a message when the value is not acceptable. */
  check: (value: string) => string | undefined
}

/** Asks for one line of text; resolves with it, or null when cancelled. */
export async function promptDialog(o: PromptOptions): Promise<string | null> {
  const inputId = `prompt-${++seq}`
  const input = h('input', {
    id: inputId, type: 'text', value: o.value, maxlength: o.maxLength, autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': `${inputId}-hint ${inputId}-error`, required: true,
  })
  const error = h('p', { id: `${inputId}-error`, class: 'error' })
  let result: string | null = null
  const form = h('form', { id: `${inputId}-form`, novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: inputId }, o.label),
      input,
      h('p', { id: `${inputId}-hint`, class: 'hint' }, o.hint),
      error,
    ),
  )
  const value = await openDialog({
    title: o.title,
    body: [form],
    actions: (close) => {
      form.addEventListener('submit', (e) => {
        e.preventDefault()
        const v = input.value.trim()
        const problem = o.check(v)
        error.textContent = problem ?? ''
        if (problem) {
          input.setAttribute('aria-invalid', 'true')
          input.focus()
          return
        }
        result = v
        close('submit')
      })
      return [
        h('button', { type: 'button', class: 'btn', onclick: () => close('cancel') }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn btn-primary', form: form.id }, o.submitLabel),
      ]
    },
    initialFocus: () => {
      queueMicrotask(() => input.select())
      return input
    },
  })
  return value === 'submit' ? result : null
}
