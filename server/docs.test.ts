import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return e.name === 'testing' ? [] : sources(p)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : []
  })
}

test("README's error table lists exactly the problem codes the server can answer", () => {
  const code = new Set<string>()
  for (const file of sources(path.join(root, 'server'))) {
    const text = fs.readFileSync(file, 'utf8')
    for (const m of text.matchAll(/new ProblemError\('([a-z_]+)'/g)) code.add(m[1]!)
    for (const m of text.matchAll(/^\s*\[\/.+\/i?, '([a-z_]+)'/gm)) code.add(m[1]!)
    // Problems described before they are built (approvals/access.ts: `{ code, status, detail }`).
    for (const m of text.matchAll(/\{ code: '([a-z_]+)', status: \d{3}/g)) code.add(m[1]!)
    // Built by a local helper (approvals/verifyEvidence.ts: `throw fail('evidence_…', …)`).
    for (const m of text.matchAll(/throw fail\('([a-z_]+)'/g)) code.add(m[1]!)
  }
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  const table = readme.slice(readme.indexOf('| code | status | meaning |'))
  const documented = new Set([...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!))
  assert.ok(code.size > 20, 'the scan found the codes')
  assert.deepEqual([...code].filter((c) => !documented.has(c)).sort(), [], 'codes missing from README')
  assert.deepEqual([...documented].filter((c) => !code.has(c)).sort(), [], 'README codes the server never answers')
})

test("README's metrics section names exactly the ceremonies the routes count", () => {
  const counted = new Set<string>()
  for (const file of sources(path.join(root, 'server', 'http', 'routes'))) {
    const text = fs.readFileSync(file, 'utf8')
    for (const m of text.matchAll(/ceremony: '([a-z-]+)'/g)) counted.add(m[1]!)
    // `approval-${decision}` for the two decisions.
    if (text.includes('ceremony: `approval-${decision}`')) for (const d of ['approve', 'reject']) counted.add(`approval-${d}`)
  }
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('`ceremony` is one of') + '`ceremony`'.length, readme.indexOf('- Logs are JSON lines'))
  const documented = new Set([...section.matchAll(/`([a-z]+(?:-[a-z]+)*)`/g)].map((m) => m[1]!).filter((n) => !n.includes('_')))
  assert.ok(counted.size >= 10, 'the scan found the ceremonies')
  assert.deepEqual([...counted].sort(), [...documented].sort())
})
