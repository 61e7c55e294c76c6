/**
 * How this tab's recovery session was opened (a code, or the KYC credential in the wallet), so the add-a-passkey
 * page words itself right even when another page sends the person back to it. Wording only: what a recovery
 * session may do is the server's business. Kept in sessionStorage: this tab, until it closes.
 */
export type RecoveredWith = 'code' | 'credential'
const KEY = 'sigil.recovered-with'

export function rememberRecoveredWith(how: RecoveredWith): void {
  try { sessionStorage.setItem(KEY, how) } catch { /* storage off: the default wording stays */ }
}

export function recoveredWith(): RecoveredWith {
  try { return sessionStorage.getItem(KEY) === 'credential' ? 'credential' : 'code' } catch { return 'code' }
}
