import { del, post, type SessionInfo } from '../api.ts'
import { describeUserAgent, relative } from '../format.ts'
import { confirmDialog } from '../ui/dialog.ts'
import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { signedOut } from '../session.ts'
import { go, say } from '../ui/status.ts'
import { domId, type AccountContext } from './context.ts'

function item(ctx: AccountContext, s: SessionInfo): HTMLLIElement {
  const device = describeUserAgent(s.userAgent)
  let end: HTMLButtonElement | null = null
  if (!s.current) {
    const button = h('button', { type: 'button', class: 'btn btn-sm', id: domId('end', s.ref) },
      icon('logout', 'sm'), 'Sign out', h('span', { class: 'visually-hidden' }, ` ${device.label}, signed in ${relative(s.createdAt)}`))
    button.addEventListener('click', () => void ctx.act(button, async () => {
      await del(`/v1/me/sessions/${encodeURIComponent(s.ref)}`)
      await ctx.reload('sessions-title')
      say(`Signed out ${device.label}.`, 'success')
    }))
    end = button
  }
  return h('li', { class: 'item', id: domId('session', s.ref) },
    h('span', { class: 'item-icon' }, icon(device.mobile ? 'phone' : 'device')),
    h('div', { class: 'item-body' },
      h('div', { class: 'item-title' },
        h('span', { class: 'name' }, device.label),
        s.current ? h('span', { class: 'badge badge-success' }, 'This browser') : null,
        s.kind === 'recovery' ? h('span', { class: 'badge badge-warning' }, 'Recovery code') : null,
      ),
      h('div', { class: 'item-meta' },
        h('span', null, `Signed in ${relative(s.createdAt)}`),
        h('span', null, s.current ? 'Active now' : `Active ${relative(s.lastSeenAt)}`),
        h('span', null, `Expires ${relative(s.expiresAt)}`),
      ),
    ),
    end ? h('div', { class: 'item-actions' }, end) : h('span'),
  )
}

export function sessionsSection(ctx: AccountContext): HTMLElement {
  const everywhere = h('button', { type: 'button', class: 'btn btn-danger', id: 'sign-out-everywhere' }, icon('logout'), 'Sign out everywhere')
  everywhere.addEventListener('click', () => void signOutEverywhere(ctx, everywhere))
  const n = ctx.sessions.length
  return h('section', { class: 'card section', 'aria-labelledby': 'sessions-title' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'sessions-title' }, 'Where you’re signed in'),
        h('p', null, n === 1 ? 'Only this browser is signed in.' : `${n} browsers and devices are signed in.`),
      ),
    ),
    h('ul', { class: 'items', 'aria-labelledby': 'sessions-title' }, ctx.sessions.map((s) => item(ctx, s))),
    h('div', { class: 'section-foot' },
      h('p', null, 'Lost a device or see something you don’t recognise? Sign out everywhere, then remove that device’s passkey.'),
      everywhere,
    ),
  )
}

async function signOutEverywhere(ctx: AccountContext, button: HTMLButtonElement): Promise<void> {
  const n = ctx.sessions.length
  const ok = await confirmDialog({
    title: 'Sign out everywhere?',
    body: [h('p', null, `This ends ${n === 1 ? 'your session' : `all ${n} sessions`}, including this one. You’ll need a passkey to sign in again.`)],
    confirmLabel: 'Sign out everywhere',
    danger: true,
  })
  if (!ok) return
  await ctx.act(button, async () => {
    const { ended } = await post<{ ended: number }>('/v1/sessions/logout-all', {})
    signedOut()
    go('/', `You’re signed out everywhere (${ended} ${ended === 1 ? 'session' : 'sessions'} ended).`)
  })
}
