import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { addAnother } from './passkeysSection.ts'
import { generateCodes } from './recoverySection.ts'
import type { AccountContext } from './context.ts'

interface Step {
  title: string
  text: string
  done: boolean
  action?: { id: string; label: string; run: (button: HTMLButtonElement) => void }
}

/**
 * "Finish securing your account": shown while the account has a single passkey or no recovery codes. The
 * backup-passkey step is the upgrade prompt for single-passkey accounts: one lost device should never lock
 * anyone out.
 */
export function checklistSection(ctx: AccountContext): HTMLElement | null {
  const steps: Step[] = [
    { title: 'Create your first passkey', text: 'You sign in with it instead of a password or an SMS code.', done: true },
    {
      title: 'Add a backup passkey', text: 'On a second device, your phone or a security key.', done: ctx.passkeys.length > 1,
      action: { id: 'checklist-add-passkey', label: 'Add a passkey', run: (b) => void addAnother(ctx, b) },
    },
    {
      title: 'Save your recovery codes', text: 'One-time codes for the day every device is lost.', done: ctx.me.recoveryCodesRemaining > 0,
      action: { id: 'checklist-codes', label: 'Create codes', run: (b) => void generateCodes(ctx, b) },
    },
  ]
  const left = steps.filter((s) => !s.done).length
  if (left === 0) return null
  let firstPending = true
  const items = steps.map((s, i) => {
    let button: HTMLButtonElement | null = null
    if (!s.done && s.action) {
      const { id, label, run } = s.action
      button = h('button', { type: 'button', id, class: firstPending ? 'btn btn-primary btn-sm' : 'btn btn-sm' }, label)
      button.addEventListener('click', () => run(button!))
      firstPending = false
    }
    return h('li', { class: s.done ? 'step step-done' : 'step' },
      h('span', { class: 'step-mark', 'aria-hidden': 'true' }, s.done ? icon('check', 'sm') : String(i + 1)),
      h('div', { class: 'step-body' },
        h('h3', null, s.title, h('span', { class: 'visually-hidden' }, s.done ? ' (done)' : ' (to do)')),
        h('p', null, s.text),
      ),
      s.done ? h('span', { class: 'badge badge-success' }, 'Done') : button,
    )
  })
  return h('section', { class: 'card section checklist', 'aria-labelledby': 'checklist-title', id: 'checklist' },
    h('div', { class: 'checklist-head' },
      h('span', { class: 'callout-icon' }, icon('shield', 'lg')),
      h('div', null,
        h('h2', { id: 'checklist-title' }, 'Finish securing your account'),
        h('p', null, left === 1 ? 'One more step, so that losing a device never locks you out.' : 'Two more steps, so that losing a device never locks you out.'),
      ),
    ),
    h('ol', { class: 'steps' }, items),
  )
}
