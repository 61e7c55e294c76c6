import { browserSupportsWebAuthn, platformAuthenticatorIsAvailable } from '@simplewebauthn/browser'
import { ApiError } from '../api.ts'
import { errorMessage, fieldMessage, isAbort, problemMessage, UNSUPPORTED } from '../messages.ts'
import { signUp } from '../passkeys.ts'
import { busy, byId } from '../ui/dom.ts'
import { clearFieldErrors, setFieldError, validate } from '../ui/form.ts'
import { clearStatus, go, say } from '../ui/status.ts'
import { markJustSignedIn, startPage } from './common.ts'

startPage()

const form = byId<HTMLFormElement>('sign-up')
const handle = byId<HTMLInputElement>('handle')
const displayName = byId<HTMLInputElement>('display-name')
const button = byId<HTMLButtonElement>('create-account')
const fields: Record<string, HTMLInputElement> = { handle, displayName }

// The server's rules (server/passkeys/wire.ts), checked here first so mistakes show before any prompt.
const HANDLE = /^[a-z0-9][a-z0-9._-]{2,31}$/
const CONTROL = /[\p{Cc}\p{Cf}]/u

form.addEventListener('submit', (e) => {
  e.preventDefault()
  clearStatus()
  const h = handle.value.trim().toLowerCase()
  const name = displayName.value.trim()
  const ok = validate([
    [handle, !h ? 'Choose a username.' : HANDLE.test(h) ? undefined : fieldMessage('handle')],
    [displayName, !name ? 'Enter your name.' : name.length > 64 || CONTROL.test(name) ? fieldMessage('displayName') : undefined],
  ])
  if (!ok) return
  say('Follow your browser’s prompt to create the passkey…')
  busy(button, () => signUp(h, name)).then((r) => {
    markJustSignedIn()
    go('/account.html', `Welcome to Sigil, ${r.user.displayName}. Your passkey is ready; next, save your recovery codes.`)
  }, (err: unknown) => {
    clearStatus()
    if (isAbort(err)) return
    const input = err instanceof ApiError && err.field ? fields[err.field] : undefined
    if (input && err instanceof ApiError) {
      setFieldError(input, problemMessage(err))
      input.focus()
      return
    }
    say(errorMessage(err, 'create'), 'error')
  })
})

for (const input of [handle, displayName]) input.addEventListener('input', () => setFieldError(input, undefined))
form.addEventListener('reset', () => clearFieldErrors(form))

if (!browserSupportsWebAuthn()) {
  say(UNSUPPORTED, 'warning')
  button.disabled = true
} else {
  void platformAuthenticatorIsAvailable().then((available) => {
    if (!available) say('This device has no built-in passkey support. You can still create your passkey on a phone (scan the QR code your browser shows) or a security key.', 'info')
  })
}
