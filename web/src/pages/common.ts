import '../styles/index.css'
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
