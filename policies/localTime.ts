/**
 * The decision time as approval policies see it: the hour and weekday in UTC and in the time zone the policy set
 * names with `@timeZone` (policySet.ts). The zone is part of the policy text, so it is covered by the policy version,
 * bound into every challenge, shown in evidence, and changed only by an approved policy change.
 */

/** The zone of a set that names none: local time is UTC. */
export const DEFAULT_TIME_ZONE = 'UTC'

/** The context attributes that depend on the set's zone. */
export const LOCAL_TIME_ATTRIBUTES: ReadonlySet<string> = new Set(['hourLocal', 'weekdayLocal'])

/** What policies see of the decision time; weekdays count from 0 = Sunday, as `Date.getUTCDay`. */
export interface TimeOfDay {
  hourUtc: number
  weekdayUtc: number
  hourLocal: number
  weekdayLocal: number
}

/**
 * An IANA zone name, `Area/Location` or a single name such as `UTC`. Offsets (`+01:00`) are left out: newer
 * runtimes accept them and Node 20 does not, and a fixed offset is what a UTC rule already gives.
 */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]{0,63}(?:\/[A-Za-z0-9_+-]{1,64}){0,2}$/
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }

// One formatter per zone for the life of the process: building one costs 60 µs to 2 ms, using one about 3 µs.
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterOf(timeZone: string): Intl.DateTimeFormat | undefined {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    if (!ZONE_NAME.test(timeZone)) return undefined
    try {
      // hourCycle h23: 0 to 23 (with hour12: false some ICU versions write midnight as 24).
      f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: 'numeric', weekday: 'short' })
    } catch {
      return undefined // RangeError: a zone this runtime's time zone data does not know
    }
    formatters.set(timeZone, f)
  }
  return f
}

/**
 * Whether `timeZone` is an IANA zone this runtime knows (its ICU time zone data decides, aliases such as
 * `Asia/Calcutta` included).
 */
export function isKnownTimeZone(timeZone: string): boolean {
  return formatterOf(timeZone) !== undefined
}

/**
 * The hour and weekday of `at` in UTC and in `timeZone`, with the zone's daylight saving time and the runtime's
 * time zone data. Throws RangeError for a zone {@link isKnownTimeZone} refuses (a compiled set never names one).
 */
export function timeOfDay(at: Date, timeZone: string): TimeOfDay {
  const hourUtc = at.getUTCHours()
  const weekdayUtc = at.getUTCDay()
  if (timeZone === DEFAULT_TIME_ZONE) return { hourUtc, weekdayUtc, hourLocal: hourUtc, weekdayLocal: weekdayUtc }
  const f = formatterOf(timeZone)
  if (f === undefined) throw new RangeError(`unknown time zone ${timeZone}`)
  let hourLocal = -1
  let weekdayLocal = -1
  for (const part of f.formatToParts(at)) {
    if (part.type === 'hour') hourLocal = Number(part.value)
    else if (part.type === 'weekday') weekdayLocal = WEEKDAYS[part.value] ?? -1
  }
  if (!(hourLocal >= 0 && hourLocal <= 23) || weekdayLocal < 0) throw new RangeError(`unexpected local time for ${timeZone}`)
  return { hourUtc, weekdayUtc, hourLocal, weekdayLocal }
}
