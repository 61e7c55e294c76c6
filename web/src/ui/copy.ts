import { h } from './dom.ts'
import { icon } from './icons.ts'
import { say } from './status.ts'

/**
 * A small "Copy" button for a value shown on the page (an address, a digest). `what` completes its
 * accessible name ("Copy destination address") and the message that confirms it.
 */
export function copyButton(value: string, what: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'btn btn-quiet btn-xs copy' },
    icon('copy', 'sm'), 'Copy', h('span', { class: 'visually-hidden' }, ` ${what}`))
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(value).then(
      () => say(`Copied the ${what} to the clipboard.`, 'success'),
      () => say(`Copying isn’t allowed here. Select the ${what} and copy it by hand.`, 'warning'),
    )
  })
  return button
}
