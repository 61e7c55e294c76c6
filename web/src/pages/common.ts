import '../styles/index.css'
import type { PublicUser } from '../api.ts'
import { signOut, watchSession } from '../session.ts'
import { byId } from '../ui/dom.ts'
import { navigation, userMenu } from '../ui/shell.ts'
import { hydrateIcons } from '../ui/icons.ts'
import { showFlash } from '../ui/status.ts'

/** What every page does first: icons in the static HTML, and the message the previous page left. */
export function startPage(): void {
  hydrateIcons()
  showFlash()
}

const JUST_SIGNED_IN = 'sigil.justSignedIn'

/** Set by the sign-in and sign-up pages so the account page can offer an upgrade once, right after. */
export function markJustSignedIn(): void {
  try {
    sessionStorage.setItem(JUST_SIGNED_IN, '1')
  } catch {
    // no storage: no background offer
  }
}

export function takeJustSignedIn(): boolean {
  try {
    const v = sessionStorage.getItem(JUST_SIGNED_IN) === '1'
    sessionStorage.removeItem(JUST_SIGNED_IN)
    return v
  } catch {
    return false
  }
}

/** The signed-in frame: the account and sign-out in the top bar, and the navigation with `current` marked. */
export function mountShell(user: PublicUser, current: string): void {
  byId('user-menu').replaceChildren(userMenu(user, (b) => void signOut(b)))
  const { nav, toggle } = navigation(current, user)
  document.getElementById('nav')?.replaceWith(nav)
  document.querySelector('.topbar')?.append(toggle)
  watchSession()
}
