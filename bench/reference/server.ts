/**
 * The benchmark's reference: a bare express + @simplewebauthn/server passkey server shaped like the
 * library's example server (example/index.ts in MasterKale/SimpleWebAuthn): users and credentials in
 * memory, the challenge kept in an express-session MemoryStore session, nothing persisted, no logging,
 * rate limiting, audit or problem documents. It differs from the example only where the benchmark
 * needs it to do the same job as Sigil:
 * - many accounts, created by handle (the example has one hard-coded user);
 * - discoverable login: empty allowCredentials, the credential found by `response.id` and checked
 *   against `userHandle` (WebAuthn L3 §7.2 steps 5-6);
 * - user verification required, as Sigil requires it;
 * - POST for the options calls, as Sigil uses POST.
 * Env: PORT (0 = any), ORIGIN (expected WebAuthn origin), RP_ID (default localhost).
 */
import type { AddressInfo } from 'node:net'
import express from 'express'
import session from 'express-session'
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type RegistrationResponseJSON, type WebAuthnCredential,
} from '@simplewebauthn/server'

declare module 'express-session' {
  interface SessionData {
    currentChallenge?: string
    pendingUser?: { id: string; username: string }
    userId?: string
  }
}

interface User {
  /** base64url WebAuthn user handle. */
  id: string
  username: string
  credentials: WebAuthnCredential[]
}

const rpID = process.env.RP_ID ?? 'localhost'
const port = Number(process.env.PORT ?? 0)
const expectedOrigin = process.env.ORIGIN ?? `http://localhost:${port}`

const usersById = new Map<string, User>()
const usernames = new Set<string>()
/** "Query the DB" for a credential by id: discoverable login does not know the user up front. */
const credentialOwner = new Map<string, User>()

const app = express()
app.use(express.json())
app.use(session({
  secret: 'reference-bench-secret',
  saveUninitialized: true,
  resave: false,
  cookie: { maxAge: 86_400_000, httpOnly: true },
  store: new session.MemoryStore(),
}))

app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }))

app.post('/register/options', async (req, res) => {
  const username = String(req.body?.handle ?? '')
  if (!username || usernames.has(username)) return void res.status(409).json({ error: 'username unavailable' })
  const options = await generateRegistrationOptions({
    rpName: 'SimpleWebAuthn Example',
    rpID,
    userName: username,
    userDisplayName: String(req.body?.displayName ?? ''),
    timeout: 60_000,
    attestationType: 'none',
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: [-7, -257],
  })
  req.session.currentChallenge = options.challenge
  req.session.pendingUser = { id: options.user.id, username }
  res.json(options)
})

app.post('/register/verify', async (req, res) => {
  const body = req.body as RegistrationResponseJSON
  const pending = req.session.pendingUser
  if (!pending || usernames.has(pending.username)) return void res.status(400).json({ error: 'no registration in progress' })
  let verification
  try {
    verification = await verifyRegistrationResponse({
      response: body,
      expectedChallenge: `${req.session.currentChallenge}`,
      expectedOrigin,
      expectedRPID: rpID,
      requireUserVerification: true,
    })
  } catch (error) {
    return void res.status(400).json({ error: (error as Error).message })
  }
  const { verified, registrationInfo } = verification
  if (verified && registrationInfo) {
    const { credential } = registrationInfo
    const user: User = { id: pending.id, username: pending.username, credentials: [] }
    user.credentials.push({ id: credential.id, publicKey: credential.publicKey, counter: credential.counter, transports: body.response.transports })
    usersById.set(user.id, user)
    usernames.add(user.username)
    credentialOwner.set(credential.id, user)
    req.session.userId = user.id
  }
  req.session.currentChallenge = undefined
  req.session.pendingUser = undefined
  res.json({ verified })
})

app.post('/login/options', async (req, res) => {
  const options = await generateAuthenticationOptions({
    timeout: 60_000,
    allowCredentials: [],
    userVerification: 'required',
    rpID,
  })
  req.session.currentChallenge = options.challenge
  res.json(options)
})

app.post('/login/verify', async (req, res) => {
  const body = req.body as AuthenticationResponseJSON
  const expectedChallenge = req.session.currentChallenge
  const user = credentialOwner.get(body.id)
  const dbCredential = user?.credentials.find((c) => c.id === body.id)
  if (!user || !dbCredential) return void res.status(400).json({ error: 'Authenticator is not registered with this site' })
  if (body.response.userHandle !== undefined && body.response.userHandle !== user.id) {
    return void res.status(400).json({ error: 'userHandle does not match the credential owner' })
  }
  let verification
  try {
    verification = await verifyAuthenticationResponse({
      response: body,
      expectedChallenge: `${expectedChallenge}`,
      expectedOrigin,
      expectedRPID: rpID,
      credential: dbCredential,
      requireUserVerification: true,
    })
  } catch (error) {
    return void res.status(400).json({ error: (error as Error).message })
  }
  const { verified, authenticationInfo } = verification
  if (verified) {
    dbCredential.counter = authenticationInfo.newCounter
    req.session.userId = user.id
  }
  req.session.currentChallenge = undefined
  res.json({ verified })
})

const server = app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`reference listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`)
})
server.keepAliveTimeout = 5_000
process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeIdleConnections()
})
