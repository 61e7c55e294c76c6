import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TypeMetadataFormatSchema } from '@sd-jwt/sd-jwt-vc'
import { decodeSdJwt } from '../sdjwt/index.ts'
import { makeWorld, NOW, SUBJECT } from '../testing/index.ts'
import { ageOn, KYC_DISCLOSABLE_PATHS, kycTypeMetadata, kycVct, parseKycSubject } from './index.ts'

test('valid subject data parses; age_equal_or_over is computed from birthdate', () => {
  const s = parseKycSubject(SUBJECT, { now: NOW })
  assert.deepEqual(s.age_equal_or_over, { 18: true, 21: true })
  const teen = parseKycSubject({ ...SUBJECT, birthdate: '2008-03-02' }, { now: NOW })
  assert.deepEqual(teen.age_equal_or_over, { 18: false, 21: false })
  assert.deepEqual(parseKycSubject({ ...SUBJECT, birthdate: '2008-03-01' }, { now: NOW }).age_equal_or_over, { 18: true, 21: false })
  assert.deepEqual(parseKycSubject({ kyc_level: 'basic', trust_framework: 'eidas', verification_time: '2026-01-01T00:00:00+01:00' }, { now: NOW }).age_equal_or_over, undefined)
})

test('names in any script: joiners that Persian and Indic names need pass, accents and CJK too', () => {
  for (const name of ['\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', '\u0915\u094d\u200d\u0937', 'Zoë', '山田']) {
    assert.equal(parseKycSubject({ ...SUBJECT, given_name: name }, { now: NOW }).given_name, name)
  }
})

test('ages: birthdays, 29 February', () => {
  assert.equal(ageOn('2000-03-01', new Date('2018-02-28T23:59:59Z')), 17)
  assert.equal(ageOn('2000-03-01', new Date('2018-03-01T00:00:00Z')), 18)
  assert.equal(ageOn('2004-02-29', new Date('2022-02-28T12:00:00Z')), 17)
  assert.equal(ageOn('2004-02-29', new Date('2022-03-01T12:00:00Z')), 18)
})

test('bad data → kyc_data_invalid naming the field', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...SUBJECT, kyc_level: 'ultra' }, 'kyc_level'],
    [{ ...SUBJECT, birthdate: '1990-02-30' }, 'birthdate'],
    [{ ...SUBJECT, birthdate: '12.08.1990' }, 'birthdate'],
    [{ ...SUBJECT, birthdate: '2027-01-01' }, 'birthdate'],
    [{ ...SUBJECT, nationalities: ['DE', 'XX'] }, 'nationalities.1'],
    [{ ...SUBJECT, nationalities: ['de'] }, 'nationalities.0'],
    [{ ...SUBJECT, address: { ...SUBJECT.address, country: 'Germany' } }, 'address.country'],
    [{ ...SUBJECT, address: { ...SUBJECT.address, planet: 'Earth' } }, 'address'],
    [{ ...SUBJECT, age_equal_or_over: { 18: false } }, 'age_equal_or_over.18'],
    [{ ...SUBJECT, sanctions_screened: 'yes' }, 'sanctions_screened'],
    [{ ...SUBJECT, verification_time: '2027-01-01T00:00:00Z' }, 'verification_time'],
    [{ ...SUBJECT, verification_time: 'yesterday' }, 'verification_time'],
    [{ ...SUBJECT, given_name: '' }, 'given_name'],
    [{ ...SUBJECT, given_name: '\u202eevil' }, 'given_name'],
    [{ ...SUBJECT, family_name: 'Do\u200be' }, 'family_name'],
    [{ ...SUBJECT, address: { ...SUBJECT.address, locality: 'Berlin\u2028Mitte' } }, 'address.locality'],
    [{ ...SUBJECT, ssn: '123' }, ''],
    [{ trust_framework: 'x', verification_time: '2026-01-01T00:00:00Z' }, 'kyc_level'],
  ]
  for (const [input, field] of cases) {
    assert.throws(() => parseKycSubject(input, { now: NOW }), (e: { code?: string; field?: string }) => e.code === 'kyc_data_invalid' && e.field === field, field)
  }
})

test('the issued credential shows kyc_level, trust_framework, verification_time; each other claim is its own disclosure', async () => {
  const w = await makeWorld()
  const decoded = await decodeSdJwt(w.credential)
  const visible = Object.keys(decoded.jws.payload).filter((k) => k !== '_sd' && k !== '_sd_alg').sort()
  assert.deepEqual(visible, ['address', 'age_equal_or_over', 'cnf', 'exp', 'iat', 'iss', 'kyc_level', 'status', 'trust_framework', 'vct', 'verification_time'])
  assert.deepEqual(Object.keys(decoded.jws.payload.address as object), ['_sd'])
  assert.deepEqual(decoded.disclosed.map((d) => d.path.join('.')).sort(), [
    'address.country', 'address.locality', 'address.postal_code', 'address.street_address',
    'age_equal_or_over.18', 'age_equal_or_over.21', 'birthdate', 'family_name', 'given_name', 'nationalities', 'pep_screened', 'sanctions_screened',
  ])
  // 6 top-level disclosures + 3 decoys; address: 4 + 1 decoy.
  assert.equal((decoded.jws.payload._sd as string[]).length, 6 + 3)
  assert.equal(((decoded.jws.payload.address as { _sd: string[] })._sd).length, 4 + 1)
})

test('vct and type metadata: versioned under the issuer URL, valid per @sd-jwt/sd-jwt-vc schema', () => {
  assert.equal(kycVct('https://sigil.example/'), 'https://sigil.example/credentials/kyc/v1')
  const meta = kycTypeMetadata('https://sigil.example')
  assert.equal(TypeMetadataFormatSchema.safeParse(meta).success, true)
  assert.equal(meta.claims.filter((c) => c.sd === 'always').length, KYC_DISCLOSABLE_PATHS.length)
  assert.deepEqual(meta.claims.find((c) => c.path.join('.') === 'kyc_level')?.sd, 'never')
})
