import { ApiError, get, post, type KycCredentialStatus, type KycCredentialView, type KycStatusAction } from '../api.ts'
import { date, dateTime } from '../format.ts'
import { errorMessage } from '../messages.ts'
import { endedElsewhere } from '../session.ts'
import { busy, h } from '../ui/dom.ts'
import { setFieldError } from '../ui/form.ts'
import { icon } from '../ui/icons.ts'
import { clearStatus, say } from '../ui/status.ts'
import { field, subjectRefProblem, textInput } from './fields.ts'
import { reasonDialog } from './reasonDialog.ts'

/**
 * "Issued credentials": the credentials issued about a subject, found by its reference (Sigil looks up only the
 * reference's hash), with their status and the actions that change it. The list holds no personal data.
 */

export const STATUS: Record<KycCredentialStatus, { label: string; badge: string }> = {
  valid: { label: 'Valid', badge: 'badge badge-success' },
  suspended: { label: 'Suspended', badge: 'badge badge-warning' },
  revoked: { label: 'Revoked', badge: 'badge badge-danger' },
}

const FORMAT: Record<string, string> = { kyc_sd_jwt: 'SD-JWT VC', kyc_jwt_vc: 'W3C JWT-VC' }

/** Which actions each status allows (revoked is final), in the order shown. */
const ACTIONS: Record<KycCredentialStatus, KycStatusAction[]> = { valid: ['suspend', 'revoke'], suspended: ['reinstate', 'revoke'], revoked: [] }
const ACTION_LABEL: Record<KycStatusAction, string> = { revoke: 'Revoke', suspend: 'Suspend', reinstate: 'Reinstate' }

const DONE: Record<KycStatusAction, string> = {
  revoke: 'Credential revoked for good. Verifiers see it within a minute (status lists are cached for up to 60 seconds).',
  suspend: 'Credential suspended. Verifiers see it within a minute; reinstate it when the case is cleared.',
  reinstate: 'Credential reinstated: it’s valid again. Verifiers see it within a minute.',
}

const listNumber = (uri: string): string => /\/status-lists\/(\d+)$/.exec(uri)?.[1] ?? uri

export interface CredentialsSection {
  el: HTMLElement
  /** Puts a subject reference in the lookup field (the one just submitted). */
  prefill(subjectRef: string): void
}

export function credentialsSection(): CredentialsSection {
  const refInput = textInput({ name: 'subjectRef', maxlength: 60, placeholder: 'ksub_…', class: 'mono-input' })
  const find = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('verifier'), 'Look up')
  const results = h('div', { class: 'credential-results', id: 'credential-results' })
  const form = h('form', { class: 'lookup', novalidate: true, role: 'search', 'aria-label': 'Issued credentials by subject reference' },
    field('lookup-ref', 'Subject reference', refInput, { hint: 'The ksub_… reference you saved when the data was submitted.' }),
    h('div', { class: 'lookup-action' }, find),
  )
  let current = ''

  function row(c: KycCredentialView): HTMLLIElement {
    const s = STATUS[c.status]
    const titleId = `cred-${c.id}-title`
    const name = `KYC credential, ${FORMAT[c.configurationId] ?? c.configurationId}`
    const actions = ACTIONS[c.status].map((a) => {
      const b = h('button', { type: 'button', class: a === 'revoke' ? 'btn btn-sm btn-danger-outline' : 'btn btn-sm' },
        ACTION_LABEL[a], h('span', { class: 'visually-hidden' }, ` credential issued ${dateTime(c.issuedAt)}`))
      b.addEventListener('click', () => void change(b, c, a))
      return b
    })
    return h('li', { class: 'item credential', 'aria-labelledby': titleId, 'data-id': c.id },
      h('span', { class: 'item-icon' }, icon('shield')),
      h('div', { class: 'item-body' },
        h('div', { class: 'item-title' },
          h('span', { id: titleId, tabindex: '-1', class: 'name' }, name),
          h('span', { class: s.badge, 'data-status': c.status }, s.label),
        ),
        h('div', { class: 'item-meta' },
          h('span', null, `Issued ${date(c.issuedAt)}`),
          h('span', null, `Expires ${date(c.expiresAt)}`),
          h('span', null, `Status list ${listNumber(c.statusList.uri)}, entry ${c.statusList.idx}`),
          c.status !== 'valid' ? h('span', null, `${s.label} ${date(c.updatedAt)}`) : null,
        ),
        h('p', { class: 'credential-id mono' }, c.id),
      ),
      actions.length
        ? h('div', { class: 'item-actions' }, actions)
        : h('p', { class: 'item-actions muted final' }, 'Revoked for good'),
    )
  }

  function show(list: KycCredentialView[]): void {
    const n = list.length
    results.replaceChildren(
      h('h3', { id: 'credentials-found', tabindex: '-1' }, n === 0 ? 'No credentials issued yet' : `${n} ${n === 1 ? 'credential' : 'credentials'} for this subject`),
      n === 0
        ? h('p', { class: 'muted' }, 'An offer becomes a credential when the holder’s wallet collects it. Look again once they have.')
        : h('ul', { class: 'items', 'aria-labelledby': 'credentials-found' }, list.map(row)),
    )
  }

  async function load(subjectRef: string): Promise<void> {
    const r = await post<{ credentials: KycCredentialView[] }>('/v1/kyc/credentials/search', { subjectRef })
    current = subjectRef
    show(r.credentials)
  }

  async function change(button: HTMLButtonElement, c: KycCredentialView, action: KycStatusAction): Promise<void> {
    const reason = await reasonDialog(action)
    if (reason === null) return
    clearStatus()
    try {
      const next = await busy(button, () => post<KycCredentialView>(`/v1/kyc/credentials/${encodeURIComponent(c.id)}/${action}`, { reason }))
      const li = results.querySelector(`li[data-id="${CSS.escape(c.id)}"]`)
      li?.replaceWith(row(next))
      say(DONE[action], 'success')
    } catch (err) {
      if (endedElsewhere(err)) return
      if (err instanceof ApiError && err.code === 'kyc_credential_status_conflict' && current) await load(current).catch(() => {})
      say(errorMessage(err, 'get'), 'error')
    }
    // The row was redrawn: keep the keyboard on the same credential.
    document.getElementById(`cred-${c.id}-title`)?.focus()
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    clearStatus()
    const v = refInput.value.trim()
    const problem = subjectRefProblem(v)
    setFieldError(refInput, problem)
    if (problem) {
      refInput.focus()
      return
    }
    void busy(find, () => load(v)).then(() => document.getElementById('credentials-found')?.focus(), (err: unknown) => {
      if (!endedElsewhere(err)) say(errorMessage(err, 'get'), 'error')
    })
  })

  const el = h('section', { class: 'card section', 'aria-labelledby': 'credentials-title', id: 'issued-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'credentials-title' }, 'Issued credentials'),
        h('p', null, 'Find the credentials issued about a person by their subject reference, and revoke, suspend or reinstate them.'),
      ),
    ),
    form,
    results,
  )
  return { el, prefill: (ref) => { refInput.value = ref } }
}
