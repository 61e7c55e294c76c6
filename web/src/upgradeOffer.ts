import { getBrowserCapabilities } from '@simplewebauthn/browser'
import { addPasskey, type AddPasskeyResult } from './passkeys.ts'
import { isAbort } from './messages.ts'

/**
 * Conditional create (WebAuthn L3 `mediation: 'conditional'` on create): where the browser supports it, the
 * passkey provider may save a passkey without showing a dialog. It is tried quietly in the background;
 * the visible "add a passkey" button is always there and takes over when pressed.
 */
export async function tryConditionalCreate(accountId: string): Promise<AddPasskeyResult | undefined> {
  try {
    const caps = await getBrowserCapabilities()
    if (caps.conditionalCreate !== 'supported') return undefined
    return await addPasskey(accountId, { conditional: true })
  } catch (err) {
    if (!isAbort(err)) console.info('Conditional create did not complete (the button still works):', err)
    return undefined
  }
}
