import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeBase64urlJson, encodeBase64urlJson } from '../encoding/index.ts'
import { AUDIENCE, craftSdJwt, disclosure, makeWorld, NONCE, NOW, withDisclosures } from '../testing/index.ts'
import { createSdJwtVcVerifier, decodeSdJwt, reconstruct, type VerifySdJwtVcOptions } from './index.ts'

// RFC 9901 §7.1 steps 3-4: every way a disclosure list can be wrong is refused with its own code.
const w = await makeWorld()
const verifier = createSdJwtVcVerifier({ trustedIssuers: w.trustedIssuers })
const opts: VerifySdJwtVcOptions = { now: NOW, expectedNonce: NONCE, expectedAudience: AUDIENCE }
const noKb: VerifySdJwtVcOptions = { now: NOW, requireKeyBinding: false }

test('a tampered disclosure (value changed and re-encoded: its digest is signed nowhere) → disclosure_unreferenced', async () => {
  const p = await w.present([['age_equal_or_over', '21']])
  const tampered = withDisclosures(p, (ds) => ds.map((d) => {
    const [salt, name, value] = decodeBase64urlJson(d) as [string, string, boolean]
    return encodeBase64urlJson([salt, name, !value])
  }))
  await assert.rejects(verifier.verify(tampered, opts), { code: 'disclosure_unreferenced' })
})

test('a disclosure with a flipped byte that is no longer JSON → disclosure_malformed', async () => {
  const p = await w.present([['given_name']])
  await assert.rejects(verifier.verify(withDisclosures(p, (ds) => ds.map((d) => `x${d.slice(1)}`)), opts), { code: 'disclosure_malformed' })
  const shapes = [['only-salt'], [1, 'name', 'v'], ['s', 2, 'v'], ['s', 'n', 'v', 'extra'], { salt: 's' }]
  for (const shape of shapes) {
    await assert.rejects(verifier.verify(withDisclosures(p, () => [encodeBase64urlJson(shape)]), opts), { code: 'disclosure_malformed' }, JSON.stringify(shape))
  }
})

test('the same disclosure twice → disclosure_duplicated', async () => {
  const p = await w.present([['given_name']])
  await assert.rejects(verifier.verify(withDisclosures(p, (ds) => [...ds, ds[0]!]), opts), { code: 'disclosure_duplicated' })
})

test('a genuine disclosure from another credential of the same holder → disclosure_unreferenced', async () => {
  const other = await makeWorld()
  const foreign = (await decodeSdJwt(other.credential)).parsedDisclosures.find((d) => d.name === 'given_name')!.encoded
  const p = await w.present([['pep_screened']])
  await assert.rejects(verifier.verify(withDisclosures(p, (ds) => [...ds, foreign]), opts), { code: 'disclosure_unreferenced' })
})

test('a disclosure named _sd or ... → disclosure_reserved_name (even when the issuer signed its digest)', async () => {
  for (const name of ['_sd', '...']) {
    const d = await disclosure(['c2FsdHNhbHRzYWx0', name, ['x']])
    const sdjwt = await craftSdJwt(w.issuer, { _sd: [d.digest] }, [d.encoded])
    await assert.rejects(verifier.verify(sdjwt, noKb), { code: 'disclosure_reserved_name' }, name)
  }
})

test('a disclosed claim that already exists in the object → disclosure_claim_conflict', async () => {
  const d = await disclosure(['c2FsdHNhbHRzYWx0', 'given_name', 'Mallory'])
  const sdjwt = await craftSdJwt(w.issuer, { given_name: 'Erika', _sd: [d.digest] }, [d.encoded])
  await assert.rejects(verifier.verify(sdjwt, noKb), { code: 'disclosure_claim_conflict' })
})

test('one digest twice in the signed payload → disclosure_duplicated', async () => {
  const d = await disclosure(['c2FsdHNhbHRzYWx0', 'given_name', 'Erika'])
  const sdjwt = await craftSdJwt(w.issuer, { _sd: [d.digest], address: { _sd: [d.digest] } }, [d.encoded])
  await assert.rejects(verifier.verify(sdjwt, noKb), { code: 'disclosure_duplicated' })
})

test('an array-element disclosure referenced from _sd, or an object one from an array → disclosure_malformed', async () => {
  const el = await disclosure(['c2FsdHNhbHRzYWx0', 'DE'])
  await assert.rejects(verifier.verify(await craftSdJwt(w.issuer, { _sd: [el.digest] }, [el.encoded]), noKb), { code: 'disclosure_malformed' })
  const prop = await disclosure(['c2FsdHNhbHRzYWx0', 'x', 'DE'])
  await assert.rejects(verifier.verify(await craftSdJwt(w.issuer, { nationalities: [{ '...': prop.digest }] }, [prop.encoded]), noKb), { code: 'disclosure_malformed' })
})

test('nested and array disclosures resolve recursively; digests without disclosures (decoys) drop out', async () => {
  const street = await disclosure(['c2FsdDE', 'street_address', 'Heidestraße 17'])
  const address = await disclosure(['c2FsdDI', 'address', { _sd: [street.digest, 'decoyDecoyDecoyDecoyDecoyDecoyDecoyDecoy123'] }])
  const de = await disclosure(['c2FsdDM', 'DE'])
  const payload = { _sd: [address.digest], nationalities: [{ '...': de.digest }, { '...': 'undisclosedundisclosedundisclosedundisclos' }] }
  const r = await verifier.verify(await craftSdJwt(w.issuer, payload, [street.encoded, address.encoded, de.encoded]), noKb)
  assert.deepEqual(r.claims.address, { street_address: 'Heidestraße 17' })
  assert.deepEqual(r.claims.nationalities, ['DE'])
  assert.deepEqual(r.disclosedPaths.map((p) => p.join('.')).sort(), ['address', 'address.street_address', 'nationalities.0'])
  // The nested disclosure without its parent is referenced nowhere the verifier can see.
  await assert.rejects(verifier.verify(await craftSdJwt(w.issuer, payload, [street.encoded]), noKb), { code: 'disclosure_unreferenced' })
})

test('_sd_alg other than sha-256 → sd_alg_unsupported', async () => {
  await assert.rejects(verifier.verify(await craftSdJwt(w.issuer, { _sd_alg: 'sha-512' }, []), noKb), { code: 'sd_alg_unsupported' })
})

test('a claim named __proto__ becomes an own property, not a prototype', async () => {
  const d = await disclosure(['c2FsdA', '__proto__', { polluted: true }])
  const { claims } = reconstruct({ _sd: [d.digest] }, [{ encoded: d.encoded, digest: d.digest, salt: 'c2FsdA', name: '__proto__', value: { polluted: true } }])
  assert.equal(Object.getPrototypeOf(claims), Object.prototype)
  assert.deepEqual(Object.getOwnPropertyDescriptor(claims, '__proto__')?.value, { polluted: true })
})
