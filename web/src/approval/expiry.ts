import { dateTime } from '../format.ts'
import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { timeLeft, timeLeftWords } from './format.ts'

/**
 * The countdown to a pending request's expiry. A timer role is not announced as it changes (aria-live off);
 * screen readers get minutes in words, not "14:05", which would read as a time of day.
 */
export function expiryTimer(expiresAt: string, onExpired: () => void): { el: HTMLElement; stop: () => void } {
  const text = h('span', { class: 'expiry-left', 'aria-hidden': 'true' })
  const words = h('span', { class: 'visually-hidden' })
  const el = h('div', { class: 'expiry', role: 'timer', 'aria-live': 'off', id: 'expiry' },
    icon('clock'),
    h('div', null, text, words, h('span', { class: 'expiry-at' }, `Expires ${dateTime(expiresAt)}`)),
  )
  const tick = (): boolean => {
    const left = timeLeft(expiresAt)
    text.textContent = left ?? 'Expired'
    words.textContent = `${timeLeftWords(expiresAt)}.`
    el.classList.toggle('expiry-soon', left !== null && new Date(expiresAt).getTime() - Date.now() < 120_000)
    return left !== null
  }
  tick()
  const timer = setInterval(() => {
    if (!tick()) {
      clearInterval(timer)
      onExpired()
    }
  }, 1000)
  return { el, stop: () => clearInterval(timer) }
}
