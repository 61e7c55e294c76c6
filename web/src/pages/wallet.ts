import { errorMessage } from '../messages.ts'
import { endedElsewhere, requireUser } from '../session.ts'
import { byId } from '../ui/dom.ts'
import { go, say } from '../ui/status.ts'
import { credentialsSection, renderCredentials } from '../wallet/credentialList.ts'
import { viewCredential } from '../wallet/claims.ts'
import { holderKey, type Holder } from '../wallet/holderKey.ts'
import { presentSection } from '../wallet/presentSection.ts'
import { receiveSection } from '../wallet/receiveSection.ts'
import { checkCredentialStatus } from '../wallet/status.ts'
import { listCredentials, rememberHandle, saveCredential } from '../wallet/store.ts'
import { mountShell, startPage } from './common.ts'

/**
 * The web wallet (issue 8): after a passkey sign-in, the holder receives a KYC credential over OpenID4VCI with a
 * non-extractable P-256 key kept in IndexedDB, sees what it says and whether it still holds (the issuer's signed
 * status list), and presents chosen claims over OpenID4VP with a key-binding JWT, after seeing who asks (the
 * request's signature checked against the verifier's did:web) and for what. Everything lives in this browser, per account.
 */

startPage()

async function main(): Promise<void> {
  const me = await requireUser()
  if (me.session.kind === 'recovery') return go('/upgrade.html', 'Add a new passkey to finish signing in.', 'info')
  mountShell(me.user, '/wallet.html')
  const userId = me.user.id
  let key: Promise<Holder> | undefined
  const holder = (): Promise<Holder> => (key ??= holderKey(userId, me.user.handle))
  // The recover page finds this account's wallet by handle; records made before the handle was kept get it here.
  await rememberHandle(userId, me.user.handle)

  const credentials = credentialsSection()
  const refresh = async (): Promise<void> => renderCredentials(credentials.list, await listCredentials(userId), refresh)
  const receive = receiveSection(holder, async (credential, issuer) => {
    await saveCredential({ id: crypto.randomUUID(), userId, credential, issuer, receivedAt: new Date().toISOString() })
    await refresh()
  })
  // The newest credential of an accepted type that still holds; one whose status can't be checked (offline) only
  // if none is known to hold. Revoked, suspended and expired ones are never offered: the service would refuse them.
  const present = presentSection(holder, async (request) => {
    let unchecked: string | undefined
    for (const stored of await listCredentials(userId)) {
      const v = await viewCredential(stored.credential)
      if (request.vctValues.length > 0 && !request.vctValues.includes(v.vct)) continue
      const { status } = await checkCredentialStatus(v)
      if (status === 'valid') return stored.credential
      if (status === 'unknown') unchecked ??= stored.credential
    }
    return unchecked
  })
  await refresh()
  byId('wallet-summary').textContent = 'Receive KYC credentials and share only what a service needs, with your consent.'
  byId('sections').replaceChildren(receive, credentials.el, present)
  byId('main').removeAttribute('aria-busy')
}

main().catch((err: unknown) => {
  if (endedElsewhere(err)) return
  byId('main').removeAttribute('aria-busy')
  byId('wallet-summary').textContent = 'The wallet couldn’t be loaded.'
  byId('sections').replaceChildren()
  say(`${errorMessage(err, 'get')} Reload the page to try again.`, 'error')
})
