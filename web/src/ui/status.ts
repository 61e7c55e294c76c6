import { h } from './dom.ts'
import { icon, type IconName } from './icons.ts'

/**
 * Status messages. Every page has two live regions that exist from the first paint (so screen readers
 * announce changes): `#status` (role=status, polite) for progress and success, `#alert` (role=alert) for
 * problems. A message for the next page (after a redirect) travels in sessionStorage as a "flash".
 */

export type Tone = 'info' | 'success' | 'warning' | 'error'

const ICON: Record<Tone, IconName> = { info: 'info', success: 'checkCircle', warning: 'alert', error: 'alert' }

function region(id: 'status' | 'alert'): HTMLElement | null {
  return document.getElementById(id)
}

function render(tone: Tone, text: string): HTMLElement {
  return h('div', { class: `notice notice-${tone} fade-in` }, icon(ICON[tone]), h('p', null, text))
}

/** Shows a message in the right live region, replacing what was there; clears the other one. */
export function say(text: string, tone: Tone = 'info'): void {
  const status = region('status')
  const alert = region('alert')
  const target = tone === 'error' ? alert : status
  const other = tone === 'error' ? status : alert
  other?.replaceChildren()
  target?.replaceChildren(render(tone, text))
}

export function clearStatus(): void {
  region('status')?.replaceChildren()
  region('alert')?.replaceChildren()
}

const FLASH = 'sigil.flash'

export function flash(text: string, tone: Tone = 'success'): void {
  try {
    sessionStorage.setItem(FLASH, JSON.stringify({ text, tone }))
  } catch {
    // no storage: the next page simply shows no message
  }
}

/** Shows the message the previous page left, once. */
export function showFlash(): void {
  let raw: string | null = null
  try {
    raw = sessionStorage.getItem(FLASH)
    sessionStorage.removeItem(FLASH)
  } catch {
    return
  }
  let v: { text?: unknown; tone?: unknown } | null = null
  try {
    v = JSON.parse(raw ?? 'null') as { text?: unknown; tone?: unknown } | null
  } catch {
    return
  }
  if (!v || typeof v.text !== 'string') return
  const tone = (['info', 'success', 'warning', 'error'] as const).find((t) => t === v.tone) ?? 'info'
  say(v.text, tone)
}

/** Navigates to another page, leaving it a message. */
export function go(path: string, message?: string, tone: Tone = 'success'): void {
  if (message) flash(message, tone)
  location.assign(path)
}
