/**
 * Duplicate member names in a JSON body. JSON.parse keeps the last of two equal names, another parser may keep the
 * first: `{"amount":"5000","amount":"1"}` would then be one transaction to Sigil and another to a proxy or a signer
 * reading the same bytes. I-JSON (RFC 7493 §2.3) forbids duplicates; Sigil refuses them (400 body_malformed).
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

interface Frame {
  /** Member names seen so far; null for an array. */
  names: Set<string> | null
  /** Where this container sits in its parent: a member name or an array index. */
  at: string
  /** Object: the next string is a member name. */
  expectName: boolean
  /** Object: the last member name; array: the current index. */
  last: string
  index: number
}

/**
 * The path (`intent.amount`, `items.2.id`) of the first member name that appears twice in one object of `body`, or
 * undefined. `body` is JSON's UTF-8 text; it need not be valid JSON (the parser judges that), the scan only never
 * throws on it. Escaped names are compared decoded (`"\u0061"` equals `"a"`).
 */
export function duplicateKey(body: Buffer): string | undefined {
  const stack: Frame[] = []
  const n = body.length
  let i = 0
  while (i < n) {
    const c = body[i]!
    if (c === QUOTE) {
      let j = i + 1
      let escaped = false
      while (j < n) {
        const d = body[j]!
        if (d === BACKSLASH) { escaped = true; j += 2; continue }
        if (d === QUOTE) break
        j++
      }
      const top = stack[stack.length - 1]
      if (top?.names && top.expectName) {
        let name: string
        try {
          name = escaped ? JSON.parse(body.toString('utf8', i, j + 1)) as string : body.toString('utf8', i + 1, j)
        } catch {
          return undefined // not JSON: the parser says so
        }
        if (top.names.has(name)) return [...stack.slice(1).map((f) => f.at), name].join('.')
        top.names.add(name)
        top.last = name
        top.expectName = false
      }
      i = j + 1
      continue
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const parent = stack[stack.length - 1]
      const at = parent === undefined ? '' : parent.names ? parent.last : String(parent.index)
      stack.push({ names: c === OPEN_OBJECT ? new Set() : null, at, expectName: c === OPEN_OBJECT, last: '', index: 0 })
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop()
    } else if (c === COMMA) {
      const top = stack[stack.length - 1]
      if (top?.names) top.expectName = true
      else if (top) top.index++
    }
    i++
  }
  return undefined
}
