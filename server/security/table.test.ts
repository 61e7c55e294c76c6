import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

/**
 * SECURITY.md's "Known attacks and their regression tests" table must name tests that exist. A test cell is a
 * `;`-separated list of references: `` `path/to/file.test.ts` › title `` (the title an exact substring of a
 * `test(`/`it(` title in that file), `› title` (another title in the previous file), or a file alone, optionally
 * followed by a remark in parentheses.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const HEADING = '## Known attacks and their regression tests'

interface Row { attack: string; refs: { file: string; title?: string }[] }

function tableRows(markdown: string): Row[] {
  const start = markdown.indexOf(HEADING)
  assert.ok(start >= 0, `SECURITY.md has a "${HEADING}" section`)
  const lines = markdown.slice(start).split('\n').slice(1)
  const first = lines.findIndex((l) => l.startsWith('|'))
  const table = lines.slice(first, lines.findIndex((l, i) => i > first && !l.startsWith('|')) >>> 0)
  const [header, rule, ...body] = table
  assert.match(header!, /^\| attack \| defence \| test \|$/)
  assert.match(rule!, /^\|( -+ \|){3}$/)
  return body.map((line) => {
    const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim())
    assert.equal(cells.length, 3, `three cells: ${line}`)
    const refs: Row['refs'] = []
    let file: string | undefined
    for (const part of cells[2]!.split(/;\s*/)) {
      const m = /^(?:`([^`]+\.test\.ts)`)?\s*(?:›\s*(.+?))?\s*(?:\([^)]*\))?$/.exec(part.trim())
      assert.ok(m && (m[1] || m[2]), `a reference: "${part}" in the row "${cells[0]}"`)
      file = m[1] ?? file
      assert.ok(file, `"${part}" follows a file name`)
      refs.push({ file, ...(m[2] ? { title: m[2] } : {}) })
    }
    return { attack: cells[0]!, refs }
  })
}

/** Every `test(`/`it(` title in a file, as written: a template literal keeps its `${…}` placeholders. */
function titlesOf(source: string): string[] {
  return [...source.matchAll(/\b(?:test|it)(?:\.only|\.skip|\.todo)?\(\s*(?:'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)"|`((?:\\.|[^`\\])*)`)/g)]
    .map((m) => (m[1] ?? m[2] ?? m[3]!).replace(/\\(.)/g, '$1'))
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const alt = (xs: string[]): string => `(?:${xs.map(esc).join('|')})`
const suffixes = (s: string): string[] => [...s].map((_, i) => s.slice(i)).concat('')
const prefixes = (s: string): string[] => [...s].map((_, i) => s.slice(0, i + 1)).concat('')

/**
 * Whether `words` is a substring of `title`, or of a title the template literal can produce: each `${…}` stands
 * for text that appears somewhere in `source` (the values the test loops over), and at least one literal
 * character of the title must be matched. Literal text is matched exactly.
 */
function titleContains(title: string, words: string, source = ''): boolean {
  const parts = title.split(/\$\{[^}]*\}/)
  if (parts.some((p) => p.includes(words))) return true
  const hole = '([\\s\\S]+?)'
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j < parts.length; j++) {
      const middle = parts.slice(i + 1, j).map((p) => `${hole}${esc(p)}`).join('')
      const m = new RegExp(`^(${alt(suffixes(parts[i]!))})${middle}${hole}(${alt(prefixes(parts[j]!))})$`).exec(words)
      if (!m) continue
      const literal = m[1]!.length + m.at(-1)!.length + parts.slice(i + 1, j).join('').length
      if (literal > 0 && m.slice(2, -1).every((value) => source.includes(value))) return true
    }
  }
  return false
}

const markdown = fs.readFileSync(path.join(root, 'SECURITY.md'), 'utf8')

test('every test SECURITY.md names exists: the file, and a test whose title contains the quoted words', () => {
  const rows = tableRows(markdown)
  assert.ok(rows.length > 30, `the parser found the rows (${rows.length})`)
  const missing: string[] = []
  for (const row of rows) {
    assert.ok(row.refs.length > 0, `"${row.attack}" names a test`)
    for (const ref of row.refs) {
      const file = path.join(root, ref.file)
      if (!fs.existsSync(file)) { missing.push(`${row.attack}: no file ${ref.file}`); continue }
      if (ref.title === undefined) continue
      const text = fs.readFileSync(file, 'utf8')
      const titles = titlesOf(text)
      if (!titles.some((t) => titleContains(t, ref.title!, text))) missing.push(`${row.attack}: no test titled "…${ref.title}…" in ${ref.file}`)
    }
  }
  assert.deepEqual(missing, [])
})

test('every attack the security suite must cover has a row (issue 9)', () => {
  const attacks = tableRows(markdown).map((r) => r.attack.toLowerCase())
  const required = [
    'webauthn assertion replay', 'origin / rp id', 'up/uv downgrade', 'counter', 'self-signed x5c', '`none` attestation', '`id` ≠ `rawid`',
    'another user\'s credential', 'jwt `alg: none`', 'algorithm confusion', 'jwt `aud` arrays', 'expired jwt', '`kid` injection', 'oversized tokens',
    'sd-jwt tampered', 'duplicate disclosure', '`_sd` inside a disclosure', 'wrong `sd_hash`', 'session fixation', 'csrf', 'cookie flags',
    'digest swap', 'approval token replay', 'quorum by one person', 'redis',
  ]
  assert.deepEqual(required.filter((a) => !attacks.some((row) => row.includes(a))), [])
})

test('the table parser reads every reference form and rejects a row without one', () => {
  const md = `${HEADING}\n\n| attack | defence | test |\n| --- | --- | --- |\n`
    + '| a | d | `x/a.test.ts` › one title; › another; `x/b.test.ts` (a remark); `x/c.test.ts` |\n\nafter\n'
  assert.deepEqual(tableRows(md), [{ attack: 'a', refs: [{ file: 'x/a.test.ts', title: 'one title' }, { file: 'x/a.test.ts', title: 'another' }, { file: 'x/b.test.ts' }, { file: 'x/c.test.ts' }] }])
  assert.throws(() => tableRows(md.replace('`x/a.test.ts` › one title; ', '› orphan; ')))
  const source = "test(`refuses a login with ${name}`, …); const attacks = [['UV=0', …]]"
  const [template] = titlesOf(source)
  assert.equal(template, 'refuses a login with ${name}')
  assert.ok(titleContains(template!, 'refuses a login with UV=0', source))
  assert.ok(titleContains(template!, 'a login with', source))
  assert.ok(!titleContains(template!, 'refuses a login with UP=0', source), 'UP=0 is not a value in the file')
  assert.ok(!titleContains(template!, 'refuses a sign-in with UV=0', source))
  assert.ok(!titleContains(template!, 'UV=0', source), 'no literal text matched')
  assert.deepEqual(titlesOf(`test('it\\'s exact', …); it("two", …)`), ["it's exact", 'two'])
  assert.ok(titleContains("it's exact", "s exact"))
  assert.ok(!titleContains("it's exact", 'exactly'))
})
