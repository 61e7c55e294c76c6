import { ApiError, del, patch, type Passkey } from '../api.ts'
import { date, relative } from '../format.ts'
import { addPasskey, withFreshVerification } from '../passkeys.ts'
import { signalAllAcceptedCredentials, signalCurrentUserDetails } from '../signals.ts'
import { confirmDialog, promptDialog } from '../ui/dialog.ts'
import { h } from '../ui/dom.ts'
import { icon, type IconName } from '../ui/icons.ts'
import { say } from '../ui/status.ts'
import { domId, type AccountContext } from './context.ts'

type Kind = 'synced' | 'securityKey' | 'device'

/** Synced (backup eligible) passkeys live in a provider; roaming transports only mean a security key. */
export function kindOf(p: Passkey): Kind {
  if (p.synced) return 'synced'
  const roaming = p.transports.some((t) => t === 'usb' || t === 'nfc' || t === 'ble' || t === 'smart-card')
  return roaming && !p.transports.includes('internal') && !p.transports.includes('hybrid') ? 'securityKey' : 'device'
}

/** The badge says what kind of passkey it is; the details line names the authenticator only when it is known. */
const KIND: Record<Kind, { icon: IconName; badge: string; badgeClass: string }> = {
  synced: { icon: 'cloud', badge: 'Synced', badgeClass: 'badge badge-accent' },
  securityKey: { icon: 'securityKey', badge: 'Security key', badgeClass: 'badge' },
  device: { icon: 'device', badge: 'This device only', badgeClass: 'badge' },
}

const NAME_RULE = /[\p{Cc}\p{Cf}]/u

function item(ctx: AccountContext, p: Passkey, canRemove: boolean): HTMLLIElement {
  const k = KIND[kindOf(p)]
  const rename = h('button', { type: 'button', class: 'btn btn-sm', id: domId('rename', p.id) },
    icon('pencil', 'sm'), 'Rename', h('span', { class: 'visually-hidden' }, ` ${p.name}`))
  rename.addEventListener('click', () => void renamePasskey(ctx, p, rename))
  const remove = canRemove
    ? h('button', { type: 'button', class: 'btn btn-sm btn-danger-quiet', id: domId('remove', p.id) },
      icon('trash', 'sm'), 'Remove', h('span', { class: 'visually-hidden' }, ` ${p.name}`))
    : null
  remove?.addEventListener('click', () => void removePasskey(ctx, p, remove))
  return h('li', { class: 'item', id: domId('passkey', p.id) },
    h('span', { class: 'item-icon' }, icon(k.icon)),
    h('div', { class: 'item-body' },
      h('div', { class: 'item-title' }, h('span', { class: 'name' }, p.name), h('span', { class: k.badgeClass }, k.badge)),
      h('div', { class: 'item-meta' },
        p.authenticatorName ? h('span', null, p.authenticatorName) : null,
        h('span', null, `Added ${date(p.createdAt)}`),
        h('span', null, p.lastUsedAt ? `Last used ${relative(p.lastUsedAt)}` : 'Not used to sign in yet'),
      ),
    ),
    h('div', { class: 'item-actions' }, rename, remove),
  )
}

export function passkeysSection(ctx: AccountContext): HTMLElement {
  const add = h('button', { type: 'button', class: 'btn', id: 'add-passkey' }, icon('plus'), 'Add a passkey')
  add.addEventListener('click', () => void addAnother(ctx, add))
  const only = ctx.passkeys.length === 1
  return h('section', { class: 'card section', 'aria-labelledby': 'passkeys-title' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'passkeys-title' }, 'Passkeys'),
        h('p', null, 'The passkeys you can sign in with. Keep at least two, on different devices.'),
      ),
      add,
    ),
    h('ul', { class: 'items', 'aria-labelledby': 'passkeys-title' }, ctx.passkeys.map((p) => item(ctx, p, !only))),
    only ? h('p', { class: 'section-foot muted' }, 'Your only passkey can’t be removed. Add another one first.') : null,
  )
}

export async function addAnother(ctx: AccountContext, button: HTMLButtonElement): Promise<void> {
  await ctx.act(button, async () => {
    say('Follow your browser’s prompt to create the passkey…')
    const { passkey } = await addPasskey(ctx.me.user.id, { onReauth: ctx.onReauth })
    await ctx.reload(domId('rename', passkey.id))
    say(`Passkey added: “${passkey.name}”. Give it a name you’ll recognise with Rename.`, 'success')
  }, 'create')
}

async function renamePasskey(ctx: AccountContext, p: Passkey, button: HTMLButtonElement): Promise<void> {
  const name = await promptDialog({
    title: 'Rename passkey',
    label: 'Passkey name',
    value: p.name,
    hint: 'For example “Work laptop” or “YubiKey on key ring”.',
    submitLabel: 'Save',
    maxLength: 64,
    check: (v) => (!v ? 'Enter a name.' : NAME_RULE.test(v) ? 'Use letters, digits, spaces and punctuation only.' : undefined),
  })
  if (name === null || name === p.name) return
  await ctx.act(button, async () => {
    await patch<Passkey>(`/v1/me/passkeys/${encodeURIComponent(p.id)}`, { name })
    void signalCurrentUserDetails(ctx.rpId, ctx.webauthnUserId, ctx.me.user.handle, ctx.me.user.displayName)
    await ctx.reload(domId('rename', p.id))
    say(`Renamed to “${name}”.`, 'success')
  })
}

async function removePasskey(ctx: AccountContext, p: Passkey, button: HTMLButtonElement): Promise<void> {
  const ok = await confirmDialog({
    title: 'Remove this passkey?',
    body: [h('p', null, `“${p.name}” will stop working for your account, and every other browser or device signed in to it will be signed out. You’ll be asked to confirm it’s you with a passkey first.`)],
    confirmLabel: 'Remove passkey',
    danger: true,
  })
  if (!ok) return
  await ctx.act(button, async () => {
    try {
      await withFreshVerification(ctx.me.user.id, () => del(`/v1/me/passkeys/${encodeURIComponent(p.id)}`), ctx.onReauth)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'passkey_not_found') await ctx.reload('passkeys-title')
      throw err
    }
    await ctx.reload('passkeys-title')
    void signalAllAcceptedCredentials(ctx.rpId, ctx.webauthnUserId, ctx.passkeys.map((k) => k.id))
    say(`“${p.name}” was removed. It can no longer be used to sign in, and your other sessions were signed out.`, 'success')
  })
}
