import { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill } from '@simplewebauthn/browser'
import { ApiError, type SignedIn } from '../api.ts'
import { errorMessage, isAbort, UNSUPPORTED } from '../messages.ts'
import { signIn } from '../passkeys.ts'
import { currentUser, takeReturnTo } from '../session.ts'
import { busy, byId } from '../ui/dom.ts'
import { clearStatus, go, say } from '../ui/status.ts'
import { markJustSignedIn, startPage } from './common.ts'

startPage()

const form = byId<HTMLFormElement>('sign-in')
const button = byId<HTMLButtonElement>('passkey-sign-in')

function done(r: SignedIn): void {
  markJustSignedIn()
  go(takeReturnTo(), `Welcome back, ${r.user.displayName}.`)
}

/** Passkey autofill: waits for a passkey chosen from the username field's suggestions. */
let autofillRestarts = 0
async function autofill(): Promise<void> {
  if (!(await browserSupportsWebAuthnAutofill())) return
  try {
    done(await signIn({ autofill: true }))
  } catch (err) {
    if (isAbort(err)) return
    if (err instanceof ApiError) {
      // The person chose a passkey and the server refused it: say why, and listen again.
      say(errorMessage(err, 'get'), 'error')
      if (autofillRestarts++ < 3) void autofill()
    }
    // Browser-side refusals of a background request stay quiet; the button still works.
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault()
  clearStatus()
  busy(button, () => signIn({ autofill: false })).then(done, (err: unknown) => {
    if (isAbort(err)) return
    say(errorMessage(err, 'get'), 'error')
    void autofill()
  })
})

if (!browserSupportsWebAuthn()) {
  say(UNSUPPORTED, 'warning')
  button.disabled = true
} else {
  void autofill()
  // Already signed in (say, a second tab): go straight on.
  void currentUser().then((me) => {
    if (me) location.replace(me.session.kind === 'recovery' ? '/upgrade.html' : takeReturnTo())
  }, () => {})
}
