export { createSessions, hashSessionId, readCookie, serializeCookie, sessionCookie } from './sessions.ts'
export type { Sessions, SessionCookie, StartSession } from './sessions.ts'
export { issueAccessToken, verifyAccessToken, ACCESS_TOKEN_TYP } from './accessTokens.ts'
export type { AccessTokenClaims } from './accessTokens.ts'
