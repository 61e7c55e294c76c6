/** Field-level errors: the message sits under the input, tied to it with aria-describedby and aria-invalid. */

export type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement

export function setFieldError(input: Field, message: string | undefined): void {
  const error = document.getElementById(`${input.id}-error`)
  if (error) error.textContent = message ?? ''
  if (message) input.setAttribute('aria-invalid', 'true')
  else input.removeAttribute('aria-invalid')
}

export function clearFieldErrors(form: HTMLFormElement): void {
  for (const input of form.querySelectorAll<Field>('input, select, textarea')) setFieldError(input, undefined)
}

/** Validates with the given checks; shows each failure and focuses the first failing field. */
export function validate(checks: [Field, string | undefined][]): boolean {
  let first: Field | undefined
  for (const [input, message] of checks) {
    setFieldError(input, message)
    if (message && !first) first = input
  }
  first?.focus()
  return !first
}
