import { h } from './dom.ts'
import { icon, type IconName } from './icons.ts'
import { initials } from '../format.ts'
import type { PublicUser } from '../api.ts'

/**
 * The signed-in frame: top bar with the account and sign-out, and the navigation. An area not built yet
 * can have its place, marked "Soon".
 */

/** `role`: shown only to accounts with that role (the page itself still explains the role to anyone who opens it). */
interface NavItem { label: string; icon: IconName; href?: string; soon?: boolean; role?: string }

const NAV: NavItem[] = [
  { label: 'Account', icon: 'user', href: '/account.html' },
  { label: 'Approvals', icon: 'approvals', href: '/approvals.html' },
  { label: 'Wallet', icon: 'wallet', href: '/wallet.html' },
  { label: 'Compliance', icon: 'compliance', href: '/compliance.html', role: 'compliance' },
  { label: 'Verifier demo', icon: 'verifier', href: '/verifier.html' },
]

/**
 * The navigation for this user, and the button that shows it on narrow screens (where it folds away). Open, it
 * closes on Escape (the focus goes back to the button) and on a click anywhere else.
 */
export function navigation(current: string, user: PublicUser): { nav: HTMLElement; toggle: HTMLButtonElement } {
  const items = NAV.filter((item) => !item.role || user.roles.includes(item.role)).map((item) => {
    if (item.soon || !item.href) {
      return h('li', null, h('span', { class: 'soon' }, icon(item.icon), item.label, h('span', { class: 'badge' }, 'Soon', h('span', { class: 'visually-hidden' }, ': coming in a later release'))))
    }
    return h('li', null, h('a', { href: item.href, 'aria-current': item.href === current ? 'page' : null }, icon(item.icon), item.label))
  })
  const nav = h('nav', { class: 'sidenav', id: 'main-nav', 'aria-label': 'Main' },
    h('ul', null, ...items,
      h('li', { class: 'nav-sep', 'aria-hidden': 'true' }),
      h('li', null, h('a', { href: '/docs/' }, icon('docs'), 'API reference'))),
  )
  const toggle = h('button', { type: 'button', class: 'btn btn-quiet btn-sm nav-toggle', 'aria-expanded': 'false', 'aria-controls': 'main-nav' }, icon('menu'), 'Menu')
  const isOpen = (): boolean => toggle.getAttribute('aria-expanded') === 'true'
  const setOpen = (open: boolean): void => {
    toggle.setAttribute('aria-expanded', String(open))
    nav.classList.toggle('open', open)
  }
  toggle.addEventListener('click', () => setOpen(!isOpen()))
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !isOpen()) return
    setOpen(false)
    toggle.focus()
  })
  document.addEventListener('click', (e) => {
    if (isOpen() && e.target instanceof Node && !nav.contains(e.target) && !toggle.contains(e.target)) setOpen(false)
  })
  return { nav, toggle }
}

export function userMenu(user: PublicUser, onSignOut: (button: HTMLButtonElement) => void): HTMLElement {
  const button = h('button', { type: 'button', class: 'btn btn-quiet btn-sm', id: 'sign-out' }, icon('logout', 'sm'), 'Sign out')
  button.addEventListener('click', () => onSignOut(button))
  return h('div', { class: 'user-menu' },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(user.displayName)),
    h('span', { class: 'user-name' }, h('strong', null, user.displayName), h('span', null, `@${user.handle}`)),
    button,
  )
}
