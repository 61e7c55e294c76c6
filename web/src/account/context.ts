import type { Me, Passkey, SessionInfo } from '../api.ts'

/** What the account page's sections share: the data of the last load, and a way to load it again. */
export interface AccountContext {
  me: Me
  passkeys: Passkey[]
  sessions: SessionInfo[]
  rpId: string
  /** The account's WebAuthn user.id, when known (for the Signal API). */
  webauthnUserId: string | undefined
  /** Loads everything again and re-renders; then focuses the element with this id, if given. */
  reload(focusId?: string): Promise<void>
  /**
   * Runs an action: the status says what happens, failures are put into words. Until it ends, every button in the
   * sections is disabled, so a second action can't start over a passkey prompt; an action asked meanwhile is dropped.
   */
  act(button: HTMLButtonElement | null, work: () => Promise<void>, ceremony?: 'create' | 'get'): Promise<void>
  /** Tells the person a passkey check is coming before a sensitive action. */
  onReauth(): void
}

/** id="…" safe form of a credential id or session ref (both base64url). */
export const domId = (prefix: string, value: string): string => `${prefix}-${value}`
