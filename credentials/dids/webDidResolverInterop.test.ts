import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { lookup } from 'node:dns/promises'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Resolver } from 'did-resolver'
import { CompactSign, compactVerify, importJWK, type JWK } from 'jose'
import { Agent, fetch as undiciFetch } from 'undici'
import { getResolver } from 'web-did-resolver'
import { generateKeyPair, type GeneratedKeyPair } from '../keys/index.ts'
import { createDidWebDocument, createResolver, didWebDriver, didWebFromUrl, resolveDidKey } from './index.ts'

// Interop: the independent web-did-resolver (cross-fetch → node-fetch v2 → node:https) must read the did:web
// documents we publish exactly as our own driver does. Both talk real HTTPS to a local server with a
// throwaway certificate; nothing disables certificate checks.

interface Fixture {
  dir: string
  server: https.Server
  ca: Buffer
  origin: string
  did: string
  key: GeneratedKeyPair
  /** A fetch for our driver that trusts only the test CA (the global fetch ignores https.globalAgent). */
  dispatcher: Agent
}

let fixture: Fixture | undefined
let skipReason: string | undefined
let savedCa: unknown
let caWasSet = false

const opensslVersion = (): string | undefined => {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()
  } catch (e) {
    skipReason = `openssl not found: the test makes its throwaway localhost certificate with the openssl CLI (${(e as Error).message})`
    return undefined
  }
}

before(async () => {
  if (!opensslVersion()) return
  const dir = mkdtempSync(join(tmpdir(), 'sigil-didweb-'))
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
    ], { stdio: 'pipe' })
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  const cert = readFileSync(join(dir, 'cert.pem'))
  const docs = new Map<string, unknown>()
  const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    const doc = docs.get(req.url ?? '')
    if (doc === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/did+json' }).end(JSON.stringify(doc))
  })
  // Listen where `localhost` resolves, so both clients reach it whatever the resolver order is.
  const { address } = await lookup('localhost')
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, address, resolve))
  const { port } = server.address() as AddressInfo
  const origin = `https://localhost:${port}`
  const did = didWebFromUrl(origin)
  const key = await generateKeyPair('ES256')
  docs.set('/.well-known/did.json', createDidWebDocument(did, [key.publicJwk]))
  // A path DID whose document claims another id (a host serving someone else's document).
  docs.set('/mismatch/did.json', { ...createDidWebDocument(did, [key.publicJwk]), id: 'did:web:evil.example' })
  fixture = { dir, server, ca: cert, origin, did, key, dispatcher: new Agent({ connect: { ca: cert } }) }
})

after(async () => {
  if (caWasSet) {
    if (savedCa === undefined) delete https.globalAgent.options.ca
    else https.globalAgent.options.ca = savedCa as never
  }
  if (!fixture) return
  const { server, dir, dispatcher } = fixture
  // https.globalAgent keeps sockets alive (Node ≥19); drop them so close() does not wait on them.
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await dispatcher.close()
  rmSync(dir, { recursive: true, force: true })
})

// node-fetch v2 passes no agent, so node:https uses https.globalAgent, whose options are merged into every
// TLS connect (and into the socket pool key). Setting `ca` there trusts the test CA for this process only.
const trustTestCaInGlobalAgent = (ca: Buffer): void => {
  if (!caWasSet) {
    savedCa = https.globalAgent.options.ca
    caWasSet = true
  }
  https.globalAgent.options.ca = ca
}

const ourDriver = (f: Fixture) => didWebDriver({ fetch: (url) => undiciFetch(url, { dispatcher: f.dispatcher }) })

test('web-did-resolver resolves our did:web document like our driver, and its key verifies our JWS', async (t) => {
  if (!fixture) {
    t.skip(skipReason ?? 'fixture not set up')
    return
  }
  const f = fixture
  assert.equal(f.did, `did:web:localhost%3A${f.origin.split(':').at(-1)}`)
  const theirs = new Resolver(getResolver())

  // Certificate checks are really on: before trusting the CA, both clients refuse the self-signed server.
  const untrusted = await theirs.resolve(f.did)
  assert.equal(untrusted.didResolutionMetadata.error, 'notFound')
  assert.match(String(untrusted.didResolutionMetadata.message), /self[- ]signed|certificate/i)
  const plain = await new Resolver(didWebDriver({ fetch })).resolve(f.did)
  assert.equal(plain.didDocument, null)

  trustTestCaInGlobalAgent(f.ca)
  const a = await theirs.resolve(f.did)
  assert.equal(a.didResolutionMetadata.error, undefined, String(a.didResolutionMetadata.message))
  const b = await new Resolver(ourDriver(f)).resolve(f.did)
  assert.equal(b.didResolutionMetadata.error, undefined, String(b.didResolutionMetadata.message))
  assert.deepEqual(a.didDocument, b.didDocument)
  assert.deepEqual(a.didDocument, createDidWebDocument(f.did, [f.key.publicJwk]))
  // web-did-resolver derives contentType from `@context`, ours says did+json: the documents agree, metadata not.
  assert.equal(a.didResolutionMetadata.contentType, 'application/did+ld+json')

  // Sign with our private key; verify with the JWK web-did-resolver handed back, found through our kid lookup.
  const kid = `${f.did}#${f.key.kid}`
  const jws = await new CompactSign(new TextEncoder().encode('interop'))
    .setProtectedHeader({ alg: 'ES256', kid })
    .sign(await importJWK(f.key.privateJwk, 'ES256'))
  const jwk = await resolveDidKey(theirs, kid, { expectedController: f.did })
  const { payload, protectedHeader } = await compactVerify(jws, await importJWK(jwk, 'ES256'))
  assert.equal(new TextDecoder().decode(payload), 'interop')
  assert.equal(protectedHeader.kid, kid)
  // Our createResolver over the same server finds the same key.
  const ours = await resolveDidKey(createResolver({ fetch: (url) => undiciFetch(url, { dispatcher: f.dispatcher }) }), kid, { expectedController: f.did })
  assert.deepEqual(ours, jwk)
  // A different key does not verify.
  const other = await generateKeyPair('ES256')
  await assert.rejects(compactVerify(jws, await importJWK(other.publicJwk as JWK, 'ES256')))
})

test('a document whose id is not the DID: our driver refuses it, web-did-resolver flags it but still returns it', async (t) => {
  if (!fixture) {
    t.skip(skipReason ?? 'fixture not set up')
    return
  }
  const f = fixture
  trustTestCaInGlobalAgent(f.ca)
  const did = `${f.did}:mismatch`
  const b = await new Resolver(ourDriver(f)).resolve(did)
  assert.equal(b.didDocument, null)
  assert.equal(b.didResolutionMetadata.error, 'notFound')
  assert.match(String(b.didResolutionMetadata.message), /id does not match/)

  // web-did-resolver reports the error but hands back the foreign document anyway: a caller that only looks at
  // didDocument would accept it. resolveDidKey checks the error (and the id), so it still refuses.
  const theirs = new Resolver(getResolver())
  const a = await theirs.resolve(did)
  assert.equal(a.didResolutionMetadata.error, 'notFound')
  assert.match(String(a.didResolutionMetadata.message), /does not match requested did/)
  assert.equal(a.didDocument?.id, 'did:web:evil.example')
  await assert.rejects(resolveDidKey(theirs, `${did}#${f.key.kid}`, { expectedController: did }), { code: 'did_resolution_failed' })
})
