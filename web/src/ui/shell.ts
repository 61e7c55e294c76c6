import { h } from './dom.ts'
import { icon, type IconName } from './icons.ts'
import { initials } from '../format.ts'
import type { PublicUser } from '../api.ts'

/**
 * The signed-in frame: top bar with the account and sign-out, and the navigation. An area not built yet
 * can have its place, marked "Soon".
 */

interface NavItem { label: string; icon: IconName; href?: string; soon?: boolean }

const NAV: NavItem[] = [
  { label: 'Account', icon: 'user', href: '/account.html' },
  { label: 'Approvals', icon: 'approvals', href: '/approvals.html' },
  { label: 'Wallet', icon: 'wallet', href: '/wallet.html' },
  { label: 'Compliance', icon: 'compliance', href: '/compliance.html' },
  { label: 'Verifier demo', icon: 'verifier', href: '/verifier.html' },
]

/** The navigation, and the button that shows it on narrow screens (where it folds away). */
export function navigation(current: string): { nav: HTMLElement; toggle: HTMLButtonElement } {
  const items = NAV.map((item) => {
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
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true'
    toggle.setAttribute('aria-expanded', String(open))
    nav.classList.toggle('open', open)
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
