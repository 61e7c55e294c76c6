import { ApiError, post, type SignedIn } from '../api.ts'
import { errorMessage, fieldMessage, problemMessage } from '../messages.ts'
import { busy, byId } from '../ui/dom.ts'
import { setFieldError, validate } from '../ui/form.ts'
import { clearStatus, go, say } from '../ui/status.ts'
import { findInWallet, NoMatchingCredential, recoverWithCredential } from '../recover/credential.ts'
import { rememberRecoveredWith } from '../recover/how.ts'
import { startPage } from './common.ts'

startPage()

const form = byId<HTMLFormElement>('recover')
const handle = byId<HTMLInputElement>('handle')
const code = byId<HTMLInputElement>('code')
const button = byId<HTMLButtonElement>('use-code')
const useCredential = byId<HTMLButtonElement>('use-credential')
const fields: Record<string, HTMLInputElement> = { handle, code }

const HANDLE = /^[a-z0-9][a-z0-9._-]{2,31}$/

/** "abcd efgh-jkmn pqrs" → "ABCD-EFGH-JKMN-PQRS"; anything else is left for the check to refuse. */
function normaliseCode(raw: string): string {
  const compact = raw.toUpperCase().replace(/[\s-]/g, '')
  return /^[0-9A-Z]{16}$/.test(compact) ? compact.match(/.{4}/g)!.join('-') : raw.trim().toUpperCase()
}

form.addEventListener('submit', (e) => {
  e.preventDefault()
  clearStatus()
  const h = handle.value.trim().toLowerCase()
  const c = normaliseCode(code.value)
  const ok = validate([
    [handle, !h ? 'Enter your username.' : HANDLE.test(h) ? undefined : fieldMessage('handle')],
    [code, !code.value.trim() ? 'Enter one of your recovery codes.' : /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/.test(c) ? undefined : fieldMessage('code')],
  ])
  if (!ok) return
  busy(button, () => post<SignedIn>('/v1/recovery/verify', { handle: h, code: c })).then(() => {
    rememberRecoveredWith('code')
    go('/upgrade.html', 'Recovery code accepted. One more step: create a new passkey.')
  }, (err: unknown) => {
    const input = err instanceof ApiError && err.field ? fields[err.field] : undefined
    if (input && err instanceof ApiError) {
      setFieldError(input, problemMessage(err))
      input.focus()
      return
    }
    say(errorMessage(err, 'get'), 'error')
    if (err instanceof ApiError && err.code === 'recovery_failed') code.select()
  })
})

const NO_CREDENTIAL = 'This browser’s wallet holds no KYC credential for that username, so it can’t be used here. Use one of your recovery codes, or try the browser where you collected the credential.'
const UNUSABLE = 'The KYC credential in this browser’s wallet for that username has expired or been revoked, so it can’t be used. Use one of your recovery codes.'
const REFUSED = 'The KYC credential in this browser’s wallet couldn’t be used to recover this account. Use one of your recovery codes.'

// The second way: the KYC credential this browser's wallet collected for the account (recover/credential.ts).
useCredential.addEventListener('click', () => {
  clearStatus()
  setFieldError(code, undefined)
  const h = handle.value.trim().toLowerCase()
  const ok = validate([[handle, !h ? 'Enter your username.' : HANDLE.test(h) ? undefined : fieldMessage('handle')]])
  if (!ok) return
  say('Checking this browser’s wallet…')
  busy(useCredential, async () => {
    const found = await findInWallet(h)
    if (found.kind !== 'found') return found.kind
    await recoverWithCredential(h, found.candidates)
    return 'recovered'
  }).then((outcome) => {
    if (outcome === 'recovered') {
      rememberRecoveredWith('credential')
      go('/upgrade.html', 'Credential accepted. One more step: create a new passkey.')
      return
    }
    say(outcome === 'none' ? NO_CREDENTIAL : UNUSABLE, 'warning')
  }, (err: unknown) => {
    if (err instanceof NoMatchingCredential) return say(NO_CREDENTIAL, 'warning')
    // The server answers every refusal alike (recovery_failed), on purpose; so does this page.
    if (err instanceof ApiError && err.code === 'recovery_failed') return say(REFUSED, 'error')
    if (err instanceof ApiError) return say(errorMessage(err, 'get'), 'error')
    say('This browser’s wallet couldn’t be read. Use one of your recovery codes, or try again.', 'error')
  })
})

for (const input of [handle, code]) input.addEventListener('input', () => setFieldError(input, undefined))
