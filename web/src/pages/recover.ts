import { ApiError, post, type SignedIn } from '../api.ts'
import { errorMessage, fieldMessage, problemMessage } from '../messages.ts'
import { busy, byId } from '../ui/dom.ts'
import { setFieldError, validate } from '../ui/form.ts'
import { clearStatus, go, say } from '../ui/status.ts'
import { startPage } from './common.ts'

startPage()

const form = byId<HTMLFormElement>('recover')
const handle = byId<HTMLInputElement>('handle')
const code = byId<HTMLInputElement>('code')
const button = byId<HTMLButtonElement>('use-code')
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

for (const input of [handle, code]) input.addEventListener('input', () => setFieldError(input, undefined))
