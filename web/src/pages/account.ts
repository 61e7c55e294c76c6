import { ApiError, get, type Me, type Passkey, type SessionInfo } from '../api.ts'
import { checklistSection } from '../account/checklistSection.ts'
import { passkeysSection } from '../account/passkeysSection.ts'
import { recoverySection } from '../account/recoverySection.ts'
import { sessionsSection } from '../account/sessionsSection.ts'
import type { AccountContext } from '../account/context.ts'
import { date } from '../format.ts'
import { rememberRpId, rpIdFor, webauthnUserIdFor } from '../identity.ts'
import { errorMessage, isAbort } from '../messages.ts'
import { endedElsewhere, requireUser, signOut, watchSession } from '../session.ts'
import { busy, byId, hold } from '../ui/dom.ts'
import { navigation, userMenu } from '../ui/shell.ts'
import { clearStatus, go, say } from '../ui/status.ts'
import { tryConditionalCreate } from '../upgradeOffer.ts'
import { startPage, takeJustSignedIn } from './common.ts'

startPage()

/** True while an action runs (ctx.act): every other button on the page waits for it, across re-renders too. */
let acting = false
/** Where a reload during the action asked the focus to go: applied once the buttons work again. */
let focusAfter: string | undefined

function focus(id: string | undefined): void {
  const el = id ? document.getElementById(id) : null
  if (!el) return
  if (!el.matches('a, button, input, select, textarea, [tabindex]')) el.setAttribute('tabindex', '-1')
  el.focus()
}

async function load(): Promise<{ me: Me; passkeys: Passkey[]; sessions: SessionInfo[] }> {
  const me = await requireUser()
  if (me.session.kind === 'recovery') {
    go('/upgrade.html', 'Add a new passkey to finish signing in.', 'info')
    return new Promise(() => {})
  }
  const [{ passkeys }, { sessions }] = await Promise.all([
    get<{ passkeys: Passkey[] }>('/v1/me/passkeys'),
    get<{ sessions: SessionInfo[] }>('/v1/me/sessions'),
  ])
  return { me, passkeys, sessions }
}

function render(ctx: AccountContext): void {
  const { user } = ctx.me
  byId('user-menu').replaceChildren(userMenu(user, (b) => void signOut(b)))
  byId('account-summary').textContent = `${user.displayName} (@${user.handle}) · member since ${date(user.createdAt)}`
  const sections = [checklistSection(ctx), passkeysSection(ctx), recoverySection(ctx), sessionsSection(ctx)].filter((s): s is HTMLElement => s !== null)
  byId('sections').replaceChildren(...sections)
  if (acting) hold(byId('sections'), true)
  byId('main').removeAttribute('aria-busy')
}

async function main(): Promise<void> {
  const first = await load()
  if (first.me.rpId) rememberRpId(first.me.rpId)
  const ctx: AccountContext = {
    ...first,
    rpId: rpIdFor(first.me.rpId),
    webauthnUserId: webauthnUserIdFor(first.me.user.id, first.me.user.webauthnUserId),
    async reload(focusId) {
      const next = await load()
      Object.assign(ctx, next, { webauthnUserId: webauthnUserIdFor(next.me.user.id, next.me.user.webauthnUserId) })
      render(ctx)
      // A disabled button can't take the focus: during an action it moves once the action is over.
      if (acting) focusAfter = focusId
      else focus(focusId)
    },
    async act(button, work, ceremony = 'get') {
      if (acting) return
      acting = true
      focusAfter = undefined
      clearStatus()
      hold(byId('sections'), true)
      try {
        await busy(button, work)
      } catch (err) {
        if (isAbort(err) || endedElsewhere(err)) return
        if (err instanceof ApiError && err.code === 'recovery_session_restricted') return go('/upgrade.html', errorMessage(err, ceremony), 'info')
        say(errorMessage(err, ceremony), 'error')
      } finally {
        acting = false
        hold(byId('sections'), false)
        // Disabling the button took the focus away from it; it goes back there unless a reload named another place.
        focus(focusAfter ?? (button?.isConnected ? button.id : undefined))
      }
    },
    onReauth() {
      say('Confirm it’s you: use one of your passkeys when your browser asks.')
    },
  }
  const { nav, toggle } = navigation('/account.html', ctx.me.user)
  document.getElementById('nav')?.replaceWith(nav)
  document.querySelector('.topbar')?.append(toggle)
  render(ctx)
  watchSession()

  // Right after signing in, an account with one passkey may get a second one without a dialog.
  if (takeJustSignedIn() && ctx.passkeys.length === 1) {
    void tryConditionalCreate(ctx.me.user.id).then(async (r) => {
      if (!r) return
      await ctx.reload()
      say(`Your password manager saved a new passkey, “${r.passkey.name}”.`, 'success')
    })
  }
}

main().catch((err: unknown) => {
  if (endedElsewhere(err)) return
  byId('main').removeAttribute('aria-busy')
  byId('account-summary').textContent = 'Your account couldn’t be loaded.'
  byId('sections').replaceChildren()
  say(`${errorMessage(err, 'get')} Reload the page to try again.`, 'error')
})
