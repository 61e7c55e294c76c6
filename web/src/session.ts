import { ApiError, get, post, type Me } from './api.ts'
import { errorMessage } from './messages.ts'
import { go, say } from './ui/status.ts'
import { busy } from './ui/dom.ts'

/** The signed-in user, or undefined when nobody is (the session cookie is HttpOnly: only the server knows). */
export async function currentUser(): Promise<Me | undefined> {
  try {
    return await get<Me>('/v1/me')
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined
    throw err
  }
}

/**
 * Whether this browser was signed in when it last looked: the cookie is HttpOnly, so a 401 alone cannot tell
 * "never signed in" from "the session ended" (timed out, or signed out on another device).
 */
const WAS_SIGNED_IN = 'sigil.signedIn'
const ENDED = 'Your session has ended (it timed out, or you signed out on another device). Sign in again.'

function setSignedIn(on: boolean): void {
  try {
    if (on) localStorage.setItem(WAS_SIGNED_IN, '1')
    else localStorage.removeItem(WAS_SIGNED_IN)
  } catch {
    // only the wording of one message depends on it
  }
}

function wasSignedIn(): boolean {
  try {
    return localStorage.getItem(WAS_SIGNED_IN) === '1'
  } catch {
    return false
  }
}

/** The signed-in page that sent the person to sign in (say, an approval request they were linked to). */
const RETURN_TO = 'sigil.returnTo'
const SAME_ORIGIN_PATH = /^\/(?![/\\])[\w.~/?=&%-]*$/

/** Where to go after signing in: back to the page that asked for it, else the account page. */
export function takeReturnTo(): string {
  let v: string | null = null
  try {
    v = sessionStorage.getItem(RETURN_TO)
    sessionStorage.removeItem(RETURN_TO)
  } catch {
    // no storage: the account page
  }
  return v && SAME_ORIGIN_PATH.test(v) ? v : '/account.html'
}

/**
 * Set while this page signs out on purpose: a call still in flight that the server now answers 401 must not send
 * the person to sign-in with "Sign in to continue." over the "You're signed out." that is on its way.
 */
let signingOut = false

function toSignIn(): Promise<never> {
  if (signingOut) return new Promise(() => {}) // signOut() is taking the page away
  try {
    sessionStorage.setItem(RETURN_TO, location.pathname + location.search)
  } catch {
    // no storage: after signing in, the account page
  }
  go('/', wasSignedIn() ? ENDED : 'Sign in to continue.', 'info')
  setSignedIn(false)
  return new Promise(() => {}) // the page is going away
}

/** For signed-in pages: the user, or a trip to the sign-in page saying why. */
export async function requireUser(): Promise<Me> {
  const me = await currentUser()
  if (!me) return toSignIn()
  setSignedIn(true)
  return me
}

/** The sign-out calls: this browser is signed out on purpose. */
export function signedOut(): void {
  setSignedIn(false)
}

/** A call on a signed-in page failed because the session ended elsewhere: back to sign-in. */
export function endedElsewhere(err: unknown): boolean {
  if (err instanceof ApiError && err.code === 'unauthenticated') {
    void toSignIn()
    return true
  }
  return false
}

export async function signOut(button: HTMLButtonElement | null): Promise<void> {
  signingOut = true
  try {
    await busy(button, () => post('/v1/sessions/logout', {}))
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) {
      signingOut = false
      say(errorMessage(err, 'get'), 'error')
      return
    }
  }
  signedOut()
  go('/', 'You’re signed out.')
}

/** Checks the session again when the tab comes back into view, so a session ended elsewhere shows at once. */
export function watchSession(): void {
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return
    void currentUser().then((me) => {
      if (!me) void toSignIn()
    }, () => {})
  })
}
