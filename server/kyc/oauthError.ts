import type { Response } from 'express'

/**
 * An error of the OAuth-style endpoints (/token, /nonce, /credential): answered as `{ error, error_description }`
 * JSON with the status their specs give (RFC 6749 §5.2, RFC 6750 §3.1, OpenID4VCI 1.0 §8.3.1.2), not as a problem.
 */
export class OAuthError extends Error {
  constructor(readonly error: string, readonly status: number, readonly description?: string) {
    super(description ?? error)
    this.name = 'OAuthError'
  }
}

export function sendOAuthError(res: Response, err: OAuthError): void {
  res.setHeader('Cache-Control', 'no-store')
  if (err.status === 401) {
    res.setHeader('WWW-Authenticate', `Bearer error="${err.error}"${err.description ? `, error_description="${err.description.replace(/["\\]/g, '')}"` : ''}`)
  }
  res.status(err.status).json({ error: err.error, ...(err.description ? { error_description: err.description } : {}) })
}
