import { ApiError } from '../api.ts'
import { errorMessage } from '../messages.ts'
import { currentUser } from '../session.ts'
import { busy, byId, h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { clearStatus, say } from '../ui/status.ts'
import { askSection } from '../verifier/askSection.ts'
import { keySection } from '../verifier/keySection.ts'
import { createRequest } from '../verifier/relyingApp.ts'
import { requestSection } from '../verifier/requestSection.ts'
import { claimLabel, listWords } from '../verifier/words.ts'
import { mountShell, startPage } from './common.ts'

/**
 * The verifier demo (issue 8): the page plays a relying app, such as a shop, over the real API with that app's
 * API key: it asks for a few claims (POST /v1/presentations/requests), shows the holder the QR code and deep
 * link, polls for the result and shows exactly what came back. It needs no sign-in: the key is the app's
 * identity. Signed in, the page sits in the usual frame.
 */

startPage()

/** Signed out: no navigation, one column, and a way to sign in. */
function signedOutFrame(): void {
  document.getElementById('nav')?.remove()
  document.querySelector('.app-body')?.classList.add('app-body-solo')
  byId('user-menu').replaceChildren(h('nav', { class: 'topbar-links', 'aria-label': 'Account' },
    h('a', { class: 'btn btn-quiet btn-sm', href: '/wallet.html' }, icon('wallet', 'sm'), 'Wallet'),
    h('a', { class: 'btn btn-quiet btn-sm', href: '/' }, icon('logIn', 'sm'), 'Sign in')))
}

/** A 403 disclosure_forbidden names the refused claims (`refused: [{ claim, reasons }]`). */
function refusedClaims(err: ApiError): string[] {
  const refused = err.problem.refused
  return Array.isArray(refused) ? refused.map((r) => String((r as { claim?: unknown }).claim ?? '')).filter(Boolean) : []
}

async function main(): Promise<void> {
  const me = await currentUser().catch(() => undefined)
  if (me && me.session.kind === 'full') mountShell(me.user, '/verifier.html')
  else signedOutFrame()

  const key = keySection()
  const request = requestSection((why) => key.request(why))
  const ask = askSection(() => {
    clearStatus()
    ask.error(undefined)
    const claims = ask.chosen()
    const k = key.key()
    if (!k) return key.request('Enter the relying app’s API key first.')
    if (claims.length === 0) {
      ask.error('Tick at least one claim to ask for.')
      document.querySelector<HTMLInputElement>('#ask-section input[name="claims"]')?.focus()
      return
    }
    request.stop()
    void busy(ask.button, () => createRequest(k, claims)).then((created) => {
      request.show(created, claims, k)
      say('Request made. Show the QR code or link to the holder.', 'success')
    }, (err: unknown) => {
      if (err instanceof ApiError && err.code === 'disclosure_forbidden') {
        const refused = refusedClaims(err)
        ask.error(`This app may not ask for ${refused.length ? listWords(refused.map(claimLabel)) : 'some of these claims'}: its disclosure policy doesn’t allow it. Untick ${refused.length === 1 ? 'it' : 'them'} and ask again.`)
        document.getElementById('claims-error')?.scrollIntoView({ block: 'nearest' })
        say('Sigil refused the request: this app may not ask for everything ticked.', 'error')
        return
      }
      if (err instanceof ApiError && err.status === 401) return key.request('The server didn’t accept this key (unknown or revoked). Check it and enter it again.')
      if (err instanceof ApiError && err.code === 'client_role_forbidden') return key.request('This key isn’t a relying app’s (role relying-app). Enter a relying app’s key.')
      say(errorMessage(err, 'get'), 'error')
    })
  })

  byId('verifier-summary').textContent = 'Play a relying app: ask a holder’s wallet for a few KYC claims and see exactly what Sigil verified.'
  byId('sections').replaceChildren(key.el, ask.el, request.el)
  byId('main').removeAttribute('aria-busy')
}

main().catch((err: unknown) => {
  byId('main').removeAttribute('aria-busy')
  byId('verifier-summary').textContent = 'The verifier demo couldn’t be loaded.'
  byId('sections').replaceChildren()
  say(`${errorMessage(err, 'get')} Reload the page to try again.`, 'error')
})
