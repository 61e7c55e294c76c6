import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_POLICIES, type AttestationPolicies } from '../passkeys/index.ts'
import { createSoftAuthenticator, signUp, startTestApp, TEST_ORIGIN, TestClient, type SoftAuthenticator, type TestApp } from '../testing/index.ts'
import { makeCert, pem, withPackedX5c, type Cert } from './attestation.ts'

const YUBIKEY = 'cb69481e-8ff7-4039-93ec-0a2729a154a8'
const yubikeyBytes = Buffer.from(YUBIKEY.replace(/-/g, ''), 'hex')

/** Signs up, takes the role, then adds a passkey the way the account page does; returns the verify answer. */
async function addPasskeyAs(app: TestApp, role: string, wrap: (r: Awaited<ReturnType<SoftAuthenticator['register']>>) => Awaited<ReturnType<SoftAuthenticator['register']>>) {
  const client = new TestClient(app.url)
  const account = await signUp(client, createSoftAuthenticator(), `x5c${Math.random().toString(36).slice(2, 10)}`)
  await app.deps.store.users.setRoles(account.user.id, [role])
  const opts = await client.post('/v1/me/passkeys/options', {})
  assert.equal(opts.status, 200, JSON.stringify(opts.body))
  assert.equal(opts.body.attestation, 'direct')
  // A software key, device-bound and claiming to be a YubiKey: everything in authenticatorData is the attacker's to choose.
  const response = await createSoftAuthenticator({ aaguid: YUBIKEY, attestation: 'packed-self' }).register(opts.body, { origin: TEST_ORIGIN })
  return client.post('/v1/me/passkeys/verify', { response: wrap(response) })
}

test('WebAuthn self-signed x5c attestation: a software key with a made-up certificate chain claiming a YubiKey is refused where attestation roots are pinned', async () => {
  const now = Date.now()
  const vendorRoot = makeCert({ cn: 'Vendor Root CA', ca: true, now })
  const policies: AttestationPolicies = {
    ...DEFAULT_POLICIES,
    treasury: { requireAttestation: true, deviceBoundOnly: true, aaguidAllow: [YUBIKEY], aaguidDeny: [], attestationRoots: [pem(vendorRoot)] },
  }
  const app = await startTestApp({ attestationPolicies: policies })
  try {
    const leafUnder = (issuer: Cert | undefined) => makeCert({ cn: 'Attestation', ca: false, issuer, aaguid: yubikeyBytes, now })
    const attackerCa = makeCert({ cn: 'Vendor Root CA', ca: true, now }) // the same name as the real root, another key
    const forgeries: [string, (r: any) => any][] = [
      ['a self-signed leaf', (r) => withPackedX5c(r, leafUnder(undefined))],
      ['a leaf under the attacker\'s own CA, CA included', (r) => { const ca = attackerCa; return withPackedX5c(r, leafUnder(ca), [ca]) }],
      ['a leaf under the attacker\'s CA, the real root appended', (r) => withPackedX5c(r, leafUnder(attackerCa), [attackerCa, vendorRoot])],
      ['the real root alone as the leaf\'s only certificate', (r) => withPackedX5c(r, { ...vendorRoot, privateKey: attackerCa.privateKey })],
      ['packed self attestation (no x5c)', (r) => r],
    ]
    for (const [what, wrap] of forgeries) {
      const r = await addPasskeyAs(app, 'treasury', wrap)
      assert.equal(r.status >= 400 && r.status < 500, true, `${what}: ${r.status} ${JSON.stringify(r.body)}`)
      assert.match(String(r.body.code), /^attestation_/, `${what}: ${JSON.stringify(r.body)}`)
    }
    // The control: a leaf the vendor's root really issued is accepted, so the refusals above are about trust.
    const genuine = await addPasskeyAs(app, 'treasury', (r) => withPackedX5c(r, leafUnder(vendorRoot), [vendorRoot]))
    assert.equal(genuine.status, 201, JSON.stringify(genuine.body))
    const direct = await addPasskeyAs(app, 'treasury', (r) => withPackedX5c(r, leafUnder(vendorRoot)))
    assert.equal(direct.status, 201, JSON.stringify(direct.body))
  } finally {
    await app.close()
  }
})
