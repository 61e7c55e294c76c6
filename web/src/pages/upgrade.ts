import { ApiError } from '../api.ts'
import { errorMessage, isAbort } from '../messages.ts'
import { addPasskey, type AddPasskeyResult } from '../passkeys.ts'
import { requireUser, signOut } from '../session.ts'
import { busy, byId, h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { userMenu } from '../ui/shell.ts'
import { clearStatus, go, say } from '../ui/status.ts'
import { tryConditionalCreate } from '../upgradeOffer.ts'
import { recoveredWith } from '../recover/how.ts'
import { startPage } from './common.ts'

/**
 * After a recovery (a code, or the KYC credential in this browser's wallet) the session can only add a passkey;
 * this page is where that happens. Adding one turns the session into a full one (the server says so in `session`).
 */

startPage()

const button = byId<HTMLButtonElement>('create-passkey')
const me = await requireUser()
if (me.session.kind !== 'recovery') {
  location.replace('/account.html')
} else {
  byId('user-menu').replaceChildren(userMenu(me.user, (b) => void signOut(b)))
  const viaCredential = recoveredWith() === 'credential'
  if (viaCredential) {
    byId('lead').textContent = 'Your KYC credential confirmed it’s you. To finish, create a new passkey on this device, your phone or a security key. Until then your account can do nothing else.'
  } else {
    const left = me.recoveryCodesRemaining
    const stat = byId('codes-left')
    stat.replaceChildren(icon('lifebuoy'), h('p', null, h('strong', null, String(left)), left === 1 ? ' recovery code left' : ' recovery codes left'))
    stat.hidden = false
    if (left < 3) stat.classList.add('stat-warning')
  }

  let finished = false
  const upgraded = (r: AddPasskeyResult): void => {
    finished = true
    go('/account.html', `Your new passkey “${r.passkey.name}” is ready and you’re fully signed in. Remove the passkeys you lost, and generate new recovery codes.`)
  }

  button.disabled = false
  button.addEventListener('click', () => {
    clearStatus()
    say('Follow your browser’s prompt to create the passkey…')
    busy(button, () => addPasskey(me.user.id)).then(upgraded, (err: unknown) => {
      clearStatus()
      if (isAbort(err)) return
      if (err instanceof ApiError && (err.code === 'unauthenticated' || err.status === 401)) {
        go('/recover.html', viaCredential ? 'The recovery session expired (it lasts 15 minutes). Start again.' : 'The recovery session expired (it lasts 15 minutes). Use another recovery code.', 'info')
        return
      }
      say(errorMessage(err, 'create'), 'error')
    })
  })

  void tryConditionalCreate(me.user.id).then((r) => {
    if (r && !finished) upgraded(r)
  })
}
