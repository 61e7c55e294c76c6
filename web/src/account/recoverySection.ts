import { post, type RecoveryCodes } from '../api.ts'
import { dateTime } from '../format.ts'
import { withFreshVerification } from '../passkeys.ts'
import { confirmDialog, openDialog } from '../ui/dialog.ts'
import { h } from '../ui/dom.ts'
import { icon } from '../ui/icons.ts'
import { say } from '../ui/status.ts'
import type { AccountContext } from './context.ts'

export function recoverySection(ctx: AccountContext): HTMLElement {
  const left = ctx.me.recoveryCodesRemaining
  const generate = h('button', { type: 'button', class: 'btn', id: 'generate-codes' },
    icon('lifebuoy'), left === 0 ? 'Create recovery codes' : 'Generate new codes')
  generate.addEventListener('click', () => void generateCodes(ctx, generate))
  const stat = left === 0
    ? h('div', { class: 'stat stat-warning' }, icon('alert'), h('p', null, h('strong', null, 'No recovery codes yet. '), 'Create them now so you can get back in if you lose every passkey.'))
    : h('div', { class: left < 3 ? 'stat stat-warning' : 'stat' }, icon(left < 3 ? 'alert' : 'checkCircle'),
      h('p', null, h('strong', null, `${left} of 10`), ' codes left', left < 3 ? ' — generate new ones soon.' : '.'))
  return h('section', { class: 'card section', 'aria-labelledby': 'recovery-title' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'recovery-title' }, 'Recovery codes'),
        h('p', null, 'One-time codes that let you create a new passkey if you lose all of yours. Each works once.'),
      ),
      generate,
    ),
    stat,
  )
}

export async function generateCodes(ctx: AccountContext, button: HTMLButtonElement): Promise<void> {
  const left = ctx.me.recoveryCodesRemaining
  if (left > 0) {
    const ok = await confirmDialog({
      title: 'Replace your recovery codes?',
      body: [h('p', null, `Your ${left} unused ${left === 1 ? 'code' : 'codes'} will stop working, and you’ll get 10 new ones. You may be asked to confirm it’s you first.`)],
      confirmLabel: 'Generate new codes',
    })
    if (!ok) return
  }
  await ctx.act(button, async () => {
    const result = await withFreshVerification(ctx.me.user.id, () => post<RecoveryCodes>('/v1/me/recovery-codes', {}), ctx.onReauth)
    say('Your new recovery codes are ready. Save them now: they are shown only once.', 'success')
    await showCodes(ctx.me.user.handle, result)
    await ctx.reload('generate-codes')
    say('Recovery codes saved. Keep them somewhere safe, away from your devices.', 'success')
  })
}

function codesText(handle: string, r: RecoveryCodes): string {
  return [
    `Sigil recovery codes for @${handle}`,
    `Created ${dateTime(r.createdAt)} (${location.host})`,
    'Each code works once. Any earlier codes no longer work.',
    '',
    ...r.codes.map((c, i) => `${String(i + 1).padStart(2, ' ')}. ${c}`),
    '',
  ].join('\n')
}

/** The codes, once: copy, download, then gone from the page. */
async function showCodes(handle: string, r: RecoveryCodes): Promise<void> {
  const text = codesText(handle, r)
  const live = h('p', { class: 'muted copy-status', role: 'status' })
  const copy = h('button', { type: 'button', class: 'btn', id: 'copy-codes' }, icon('copy'), 'Copy')
  copy.addEventListener('click', () => {
    navigator.clipboard.writeText(text).then(
      () => { live.textContent = 'Copied to the clipboard.' },
      () => { live.textContent = 'Copying isn’t allowed here. Download the codes or write them down.' },
    )
  })
  const download = h('button', { type: 'button', class: 'btn', id: 'download-codes' }, icon('download'), 'Download')
  download.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }))
    const a = h('a', { href: url, download: `sigil-recovery-codes-${handle}.txt` })
    document.body.append(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
    live.textContent = 'Downloaded as a text file.'
  })
  await openDialog({
    title: 'Save your recovery codes',
    body: [
      h('div', { class: 'notice notice-warning' }, icon('alert'), h('p', null, 'They won’t be shown again. Store them somewhere safe, like a password manager or printed on paper.')),
      h('ol', { class: 'codes', id: 'recovery-codes', 'aria-label': 'Recovery codes' }, r.codes.map((c) => h('li', null, c))),
      h('div', { class: 'actions' }, copy, download, live),
    ],
    wide: true,
    actions: (close) => [h('button', { type: 'button', class: 'btn btn-primary', id: 'codes-done', onclick: () => close('done') }, 'I’ve saved them')],
    initialFocus: () => copy,
  })
}
