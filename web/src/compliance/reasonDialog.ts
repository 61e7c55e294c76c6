import type { KycStatusAction } from '../api.ts'
import { h } from '../ui/dom.ts'
import { openDialog } from '../ui/dialog.ts'
import { icon } from '../ui/icons.ts'

/**
 * Asks why a credential's status changes. The reason goes into the audit log, which is kept for good, so
 * the field warns against personal data: a case number says enough.
 */

const TEXT: Record<KycStatusAction, { title: string; body: string; confirm: string }> = {
  revoke: {
    title: 'Revoke this credential?',
    body: 'Revoking is for good: verifiers that check the status list will refuse the credential from then on. To stop it for a while instead, suspend it.',
    confirm: 'Revoke credential',
  },
  suspend: {
    title: 'Suspend this credential?',
    body: 'Verifiers that check the status list will refuse the credential until you reinstate it.',
    confirm: 'Suspend credential',
  },
  reinstate: {
    title: 'Reinstate this credential?',
    body: 'The credential becomes valid again for verifiers that check the status list.',
    confirm: 'Reinstate credential',
  },
}

let seq = 0

/** Resolves with the reason, or null when cancelled. */
export async function reasonDialog(action: KycStatusAction): Promise<string | null> {
  const t = TEXT[action]
  const id = `reason-${++seq}`
  const input = h('input', {
    id, type: 'text', maxlength: 200, autocomplete: 'off', required: true, 'aria-describedby': `${id}-warning ${id}-error`,
  })
  const error = h('p', { id: `${id}-error`, class: 'error' })
  const form = h('form', { id: `${id}-form`, novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: id }, 'Reason'),
      input,
      h('p', { id: `${id}-warning`, class: 'hint hint-warning' }, icon('alert', 'sm'),
        h('span', null, h('strong', null, 'No personal data.'), ' No names, birth dates or document numbers: the reason is kept in the audit log. Write a case number and a short cause, like “Case 2026-118: document reported stolen”.')),
      error,
    ),
  )
  let reason: string | null = null
  const value = await openDialog({
    title: t.title,
    body: [h('p', null, t.body), form],
    actions: (close) => {
      form.addEventListener('submit', (e) => {
        e.preventDefault()
        const v = input.value.trim()
        const problem = v ? undefined : 'Enter a reason, like a case number.'
        error.textContent = problem ?? ''
        if (problem) {
          input.setAttribute('aria-invalid', 'true')
          input.focus()
          return
        }
        reason = v
        close('submit')
      })
      return [
        h('button', { type: 'button', class: 'btn', onclick: () => close('cancel') }, 'Cancel'),
        h('button', { type: 'submit', class: action === 'reinstate' ? 'btn btn-primary' : 'btn btn-danger', form: form.id }, t.confirm),
      ]
    },
    initialFocus: () => input,
  })
  return value === 'submit' ? reason : null
}
