import type { CDPSession, Page } from '@playwright/test'

/**
 * CDP virtual authenticators for one page (tab). Chromium allows one `internal` (platform) authenticator per
 * tab; others are roaming (usb, nfc, ble), like a security key. `presence` off makes an authenticator ignore
 * requests until it is switched back on, which holds passkey autofill (conditional mediation) pending.
 */

export interface AuthenticatorOptions {
  transport?: 'internal' | 'usb' | 'nfc' | 'ble'
  isUserVerified?: boolean
  presence?: boolean
}

export interface VirtualCredential {
  credentialId: string
  isResidentCredential: boolean
  rpId?: string
  privateKey: string
  userHandle?: string
  signCount: number
  userName?: string
  userDisplayName?: string
}

export class VirtualAuthenticators {
  private constructor(private readonly cdp: CDPSession) {}

  static async attach(page: Page): Promise<VirtualAuthenticators> {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('WebAuthn.enable', { enableUI: false })
    return new VirtualAuthenticators(cdp)
  }

  async add(o: AuthenticatorOptions = {}): Promise<string> {
    const { authenticatorId } = await this.cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: o.transport ?? 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: o.isUserVerified ?? true,
        automaticPresenceSimulation: o.presence ?? true,
      },
    })
    return authenticatorId
  }

  async remove(id: string): Promise<void> {
    await this.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: id })
  }

  async setPresence(id: string, enabled: boolean): Promise<void> {
    await this.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: id, enabled })
  }

  async setUserVerified(id: string, isUserVerified: boolean): Promise<void> {
    await this.cdp.send('WebAuthn.setUserVerified', { authenticatorId: id, isUserVerified })
  }

  async credentials(id: string): Promise<VirtualCredential[]> {
    return (await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: id })).credentials as VirtualCredential[]
  }

  async addCredential(id: string, credential: VirtualCredential): Promise<void> {
    await this.cdp.send('WebAuthn.addCredential', { authenticatorId: id, credential })
  }
}

/** CDP gives credential ids in base64; the server and the page use base64url without padding. */
export const toBase64url = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
