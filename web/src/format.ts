/** Dates and user agents in words people read. */

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
const dayFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' })
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [['year', 31_536_000], ['month', 2_592_000], ['week', 604_800], ['day', 86_400], ['hour', 3600], ['minute', 60]]

/** "just now", "5 minutes ago", "in 2 hours", "yesterday". */
export function relative(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000
  if (Math.abs(seconds) < 60) return 'just now'
  // 59.9 minutes reads better as "1 hour": a unit is used from 90% of it.
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size * 0.9) return rtf.format(Math.round(seconds / size) || Math.sign(seconds), unit)
  }
  return 'just now'
}

export const date = (iso: string): string => dateFmt.format(new Date(iso))
/** A calendar date without a time (`1984-08-12`, a birth date) in the same words as `date`, the same day in every time zone. */
export const calendarDate = (ymd: string): string => dayFmt.format(new Date(`${ymd}T00:00:00Z`))
export const dateTime = (iso: string): string => fullFmt.format(new Date(iso))

/** "Chrome on macOS" from a User-Agent string; good enough to recognise one's own devices. */
export function describeUserAgent(ua: string): { label: string; mobile: boolean } {
  if (!ua) return { label: 'Unknown device', mobile: false }
  const browser =
    /Edg\//.test(ua) ? 'Edge'
      : /OPR\/|Opera/.test(ua) ? 'Opera'
        : /Firefox\//.test(ua) ? 'Firefox'
          : /HeadlessChrome\//.test(ua) ? 'Headless Chrome'
            : /Chrome\/|CriOS\//.test(ua) ? 'Chrome'
              : /Safari\//.test(ua) ? 'Safari'
                : /curl|node|undici|python|Go-http/i.test(ua) ? 'API client'
                  : 'Browser'
  const os =
    /iPhone|iPad|iPod/.test(ua) ? 'iOS'
      : /Android/.test(ua) ? 'Android'
        : /CrOS/.test(ua) ? 'ChromeOS'
          : /Windows/.test(ua) ? 'Windows'
            : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
              : /Linux/.test(ua) ? 'Linux'
                : ''
  return { label: os ? `${browser} on ${os}` : browser, mobile: /Mobile|Android|iPhone|iPad/.test(ua) }
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  const letters = parts.length > 1 ? [parts[0]![0], parts[parts.length - 1]![0]] : [...(parts[0] ?? '?')].slice(0, 2)
  return letters.join('').toUpperCase()
}
