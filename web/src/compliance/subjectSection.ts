import { ApiError, post, type KycSubjectCreated } from '../api.ts'
import { errorMessage } from '../messages.ts'
import { endedElsewhere } from '../session.ts'
import { busy, h } from '../ui/dom.ts'
import { clearFieldErrors, setFieldError, validate, type Field } from '../ui/form.ts'
import { icon } from '../ui/icons.ts'
import { clearStatus, say } from '../ui/status.ts'
import { checkbox, field, select, textInput } from './fields.ts'

/**
 * "Enter verified KYC data": the form a compliance officer fills in from a completed KYC check, posted to
 * `POST /v1/kyc/subjects`. The server checks it against the KYC subject schema; a bad field comes back as
 * `kyc_data_invalid` naming it (`data.address.country`), and is shown under that field. Every optional item
 * left empty stays out of the credential; each one given becomes a claim the holder can disclose on its own.
 */

/** Words for each field the server can name (credentials/kyc/schema.ts), by its path under `data.`. */
const WORDS: Record<string, string> = {
  kyc_level: 'Choose how thorough the check was.',
  trust_framework: 'Enter the rules the check followed, with letters, digits and . _ : - only, like de_aml or eidas.',
  verification_time: 'Enter when the person was verified. It can’t be in the future.',
  given_name: 'Enter at most 200 characters.',
  family_name: 'Enter at most 200 characters.',
  birthdate: 'Enter a real date of birth. It can’t be in the future.',
  nationalities: 'Enter up to 10 two-letter ISO 3166 country codes, each once, like DE, FR (GB for the United Kingdom).',
  'address.street_address': 'Enter at most 200 characters.',
  'address.locality': 'Enter at most 200 characters.',
  'address.region': 'Enter at most 200 characters.',
  'address.postal_code': 'Enter at most 20 characters.',
  'address.country': 'Enter a two-letter ISO 3166 country code, like DE or FR (GB for the United Kingdom).',
}

/** The input for a path the server named: `nationalities.1` is the nationalities field, `age_equal_or_over.18` the birth date. */
function fieldPath(serverField: string | undefined): string | undefined {
  if (!serverField?.startsWith('data.')) return undefined
  const path = serverField.slice('data.'.length)
  if (path.startsWith('nationalities')) return 'nationalities'
  if (path.startsWith('age_equal_or_over')) return 'birthdate'
  return path in WORDS ? path : undefined
}

const idOf = (path: string): string => `kyc-${path.replace(/[._]/g, '-')}`

/** `YYYY-MM-DDTHH:mm` in the browser's time zone → ISO 8601 in UTC. */
function isoFromLocal(value: string): string | undefined {
  const t = new Date(value).getTime()
  return Number.isNaN(t) ? undefined : new Date(t).toISOString()
}

function utcOffsetLabel(): string {
  const minutes = -new Date().getTimezoneOffset()
  if (minutes === 0) return 'UTC'
  const sign = minutes > 0 ? '+' : '−'
  const abs = Math.abs(minutes)
  return `UTC${sign}${Math.floor(abs / 60)}${abs % 60 ? `:${String(abs % 60).padStart(2, '0')}` : ''}`
}

export function subjectSection(onSubmitted: (created: KycSubjectCreated) => void): HTMLElement {
  const input = (path: string, label: string, attrs: Record<string, string | number | boolean>, o: Parameters<typeof field>[3] = {}) => {
    const control = textInput({ name: path, ...attrs })
    return { control, el: field(idOf(path), label, control, o) }
  }
  const given = input('given_name', 'Given name', { maxlength: 200 })
  const family = input('family_name', 'Family name', { maxlength: 200 })
  const birth = input('birthdate', 'Date of birth', { type: 'date', max: new Date().toISOString().slice(0, 10) }, { hint: 'Age over 18 and over 21 are worked out from it.' })
  const nationalities = input('nationalities', 'Nationalities', { autocapitalize: 'characters', maxlength: 40 }, { hint: 'Two-letter country codes, separated by commas: DE, FR.' })
  const street = input('address.street_address', 'Street and number', { maxlength: 200 }, { class: 'field-wide' })
  const postal = input('address.postal_code', 'Postal code', { maxlength: 20 })
  const locality = input('address.locality', 'City or town', { maxlength: 200 })
  const region = input('address.region', 'Region or state', { maxlength: 200 })
  const country = input('address.country', 'Country', { autocapitalize: 'characters', maxlength: 2, size: 4 }, { hint: 'Two-letter code, like DE.' })
  const level = select([['', 'Choose…'], ['basic', 'Basic'], ['standard', 'Standard'], ['enhanced', 'Enhanced']], { name: 'kyc_level' })
  const levelField = field(idOf('kyc_level'), 'KYC level', level, { required: true, hint: 'How thorough the check was.' })
  const framework = input('trust_framework', 'Trust framework', { maxlength: 100 }, { required: true, hint: 'The rules the check followed, like de_aml or eidas.' })
  const verified = input('verification_time', 'Verified at', { type: 'datetime-local' }, { required: true, hint: `When the person was verified, in your time zone (${utcOffsetLabel()}).` })
  const sanctions = checkbox('kyc-sanctions-screened', 'Screened against sanctions lists', 'The person is not on any sanctions list checked.')
  const pep = checkbox('kyc-pep-screened', 'Screened for politically exposed persons (PEP)', 'The PEP screening was done and cleared.')

  const fields: Record<string, Field> = {
    given_name: given.control, family_name: family.control, birthdate: birth.control, nationalities: nationalities.control,
    'address.street_address': street.control, 'address.postal_code': postal.control, 'address.locality': locality.control,
    'address.region': region.control, 'address.country': country.control,
    kyc_level: level, trust_framework: framework.control, verification_time: verified.control,
  }

  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('check'), 'Check and submit data')
  const form = h('form', { id: 'kyc-form', novalidate: true, 'aria-labelledby': 'kyc-title' },
    h('fieldset', null,
      h('legend', null, 'Person'),
      h('div', { class: 'form-grid' }, given.el, family.el, birth.el, nationalities.el),
    ),
    h('fieldset', null,
      h('legend', null, 'Address'),
      h('div', { class: 'form-grid' }, street.el, postal.el, locality.el, region.el, country.el),
    ),
    h('fieldset', null,
      h('legend', null, 'Verification'),
      h('div', { class: 'form-grid' }, levelField, framework.el, verified.el, h('div', { class: 'field-wide checks' }, sanctions.el, pep.el)),
    ),
    h('div', { class: 'form-foot' },
      h('p', { class: 'muted' }, 'Leave out anything that wasn’t verified. Each item you enter becomes a claim the holder can share on its own.'),
      submit,
    ),
  )

  function collect(): Record<string, unknown> | undefined {
    const text = (path: string): string | undefined => fields[path]!.value.trim() || undefined
    const now = Date.now()
    const when = text('verification_time')
    const whenIso = when ? isoFromLocal(when) : undefined
    const birthdate = text('birthdate')
    const ok = validate([
      [level, level.value ? undefined : 'Choose the KYC level.'],
      [framework.control, text('trust_framework') ? undefined : 'Enter the trust framework, like de_aml.'],
      [verified.control, !whenIso ? 'Enter when the person was verified.' : Date.parse(whenIso) > now ? 'The verification time can’t be in the future.' : undefined],
      [birth.control, birthdate && Date.parse(`${birthdate}T00:00:00Z`) > now ? 'The date of birth can’t be in the future.' : undefined],
    ])
    if (!ok) return undefined
    const address = Object.fromEntries((['street_address', 'locality', 'region', 'postal_code', 'country'] as const)
      .map((k) => [k, k === 'country' ? text(`address.${k}`)?.toUpperCase() : text(`address.${k}`)] as const)
      .filter(([, v]) => v !== undefined))
    const nats = text('nationalities')?.split(/[\s,;]+/).filter(Boolean).map((c) => c.toUpperCase())
    return {
      kyc_level: level.value, trust_framework: text('trust_framework'), verification_time: whenIso,
      given_name: text('given_name'), family_name: text('family_name'), birthdate,
      nationalities: nats?.length ? nats : undefined,
      address: Object.keys(address).length ? address : undefined,
      sanctions_screened: sanctions.input.checked, pep_screened: pep.input.checked,
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    clearStatus()
    clearFieldErrors(form)
    const data = collect()
    if (!data) return
    void busy(submit, () => post<KycSubjectCreated>('/v1/kyc/subjects', { data })).then((created) => {
      // The data now lives sealed on the server: it leaves the page too.
      form.reset()
      onSubmitted(created)
    }, (err: unknown) => {
      if (endedElsewhere(err)) return
      const path = err instanceof ApiError && err.code === 'kyc_data_invalid' ? fieldPath(err.field) : undefined
      if (path) {
        setFieldError(fields[path]!, WORDS[path])
        fields[path]!.focus()
      }
      say(errorMessage(err, 'get'), 'error')
    })
  })

  return h('section', { class: 'card section', 'aria-labelledby': 'kyc-title', id: 'kyc-section' },
    h('div', { class: 'section-head' },
      h('div', null,
        h('h2', { id: 'kyc-title' }, h('span', { class: 'step-no', 'aria-hidden': 'true' }, '1'), 'Enter verified KYC data'),
        h('p', null, 'From a completed identity check. Sigil checks each field, then stores the data sealed until the holder’s wallet collects the credential.'),
      ),
    ),
    form,
  )
}
