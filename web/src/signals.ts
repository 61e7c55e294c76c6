import { sendSignal } from '@simplewebauthn/browser'

/**
 * WebAuthn Signal API (L3 §5.1.10-12): tells the browser's passkey provider what the server knows, so it can
 * hide or update passkeys. Feature-detected and fire-and-forget: nothing depends on it.
 */

type SignalName = 'signalUnknownCredential' | 'signalAllAcceptedCredentials' | 'signalCurrentUserDetails'

function supported(name: SignalName): boolean {
  const pkc = (globalThis as unknown as { PublicKeyCredential?: Record<string, unknown> }).PublicKeyCredential
  return typeof pkc?.[name] === 'function'
}

async function quietly(work: () => Promise<unknown>): Promise<void> {
  try {
    await work()
  } catch (err) {
    console.warn('Signal API call failed (ignored):', err)
  }
}

/** The server answered `credential_unknown`: the provider may delete or hide that passkey. */
export function signalUnknownCredential(rpId: string, credentialId: string): Promise<void> {
  if (!supported('signalUnknownCredential')) return Promise.resolve()
  return quietly(() => sendSignal({ signalName: 'unknownCredential', rpID: rpId, credentialID: credentialId }))
}

/** After a passkey is removed: every other passkey of this user may be hidden by the provider. */
export function signalAllAcceptedCredentials(rpId: string, userId: string | undefined, credentialIds: string[]): Promise<void> {
  if (!userId || !supported('signalAllAcceptedCredentials')) return Promise.resolve()
  return quietly(() => sendSignal({ signalName: 'allAcceptedCredentials', rpID: rpId, userID: userId, allAcceptedCredentialIDs: credentialIds }))
}

/** Keeps the name and display name the provider shows for this account current. */
export function signalCurrentUserDetails(rpId: string, userId: string | undefined, name: string, displayName: string): Promise<void> {
  if (!userId || !supported('signalCurrentUserDetails')) return Promise.resolve()
  return quietly(() => sendSignal({ signalName: 'currentUserDetails', rpID: rpId, userID: userId, userName: name, userDisplayName: displayName }))
}
