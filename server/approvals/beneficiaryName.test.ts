import assert from 'node:assert/strict'
import { test } from 'node:test'
import { beneficiaryNameMatches, normalizeName } from './beneficiaryName.ts'

test('names are compared after NFKC, case folding, without diacritics, with whitespace collapsed', () => {
  assert.equal(normalizeName('  Érika\u00a0 \tMÜLLER '), 'erika muller')
  assert.equal(normalizeName('Ｅｒｉｋａ'), 'erika', 'full-width letters (NFKC)')
  assert.equal(normalizeName('Straße'), normalizeName('STRASSE'), 'ß folds to ss')
  assert.equal(normalizeName('İlkay'), 'ilkay')
  assert.equal(normalizeName('Zoë Ångström-Dvořák'), 'zoe angstrom-dvorak')
  assert.equal(normalizeName('Zoe\u0308'), normalizeName('Zo\u00eb'), 'composed or decomposed')
})

test('the intent name matches "given family" or "family given", nothing looser', () => {
  assert.equal(beneficiaryNameMatches('Erika Mustermann', 'Erika', 'Mustermann'), true)
  assert.equal(beneficiaryNameMatches('MUSTERMANN  erika', 'Erika', 'Mustermann'), true)
  assert.equal(beneficiaryNameMatches('Anna Maria de la Cruz', 'Anna Maria', 'de la Cruz'), true)
  assert.equal(beneficiaryNameMatches('Max Mustermann', 'Erika', 'Mustermann'), false)
  assert.equal(beneficiaryNameMatches('E. Mustermann', 'Erika', 'Mustermann'), false)
  assert.equal(beneficiaryNameMatches('Mustermann', 'Erika', 'Mustermann'), false)
  assert.equal(beneficiaryNameMatches('Mustermann, Erika', 'Erika', 'Mustermann'), false)
  assert.equal(beneficiaryNameMatches(' ', '', ''), false)
})
