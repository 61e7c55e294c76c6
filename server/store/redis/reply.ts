import type { Reply } from './connection.ts'

/** An HGETALL reply as an object; an empty object when the key does not exist. */
export function toHash(reply: Reply): Record<string, string> {
  const out: Record<string, string> = {}
  if (!Array.isArray(reply)) return out
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1])
  return out
}

/** A reply that is a string, or undefined (nil or anything else). */
export function toText(reply: Reply): string | undefined {
  return typeof reply === 'string' ? reply : undefined
}
