import { test } from 'node:test'
import assert from 'node:assert/strict'
import { duplicateKey } from './duplicateKeys.ts'

const dup = (s: string) => duplicateKey(Buffer.from(s, 'utf8'))

test('finds a name twice in one object, with its path', () => {
  assert.equal(dup('{"a":1,"a":2}'), 'a')
  assert.equal(dup('{"intent":{"amount":"5000","asset":"eth","amount":"1"},"signer":"s"}'), 'intent.amount')
  assert.equal(dup('{"items":[{"id":1},{"id":2,"x":[],"id":3}]}'), 'items.1.id')
  assert.equal(dup('{"a":{"b":{"c":1}},"a":2}'), 'a')
  assert.equal(dup('[{"k":1,"k":1}]'), '0.k')
})

test('compares names decoded: escapes and non-ASCII', () => {
  assert.equal(dup('{"amount":"1","\\u0061mount":"2"}'), 'amount')
  assert.equal(dup('{"é":1,"\\u00e9":2}'), 'é')
  assert.equal(dup('{"a\\"b":1,"a\\"b":2}'), 'a"b')
})

test('the same name in different objects, or as a value, is not a duplicate', () => {
  assert.equal(dup('{"a":{"a":1},"b":{"a":2},"c":"a","d":["a","a"]}'), undefined)
  assert.equal(dup('{"s":"a,\\"b\\":{","b":1}'), undefined, 'commas, quotes and braces inside strings are text')
  assert.equal(dup('{"x":[1,{"y":2}],"y":3}'), undefined)
  assert.equal(dup('{}'), undefined)
  assert.equal(dup(''), undefined)
})

test('never throws on text that is not JSON (the parser refuses it)', () => {
  for (const s of ['{"a', '{"a":1,', '}}]]', '{"\\u12":1,"\\u12":2}', '"\\', '{{{{', '[,,,]', '{"a":1}}{"a":2']) assert.doesNotThrow(() => dup(s), s)
})
