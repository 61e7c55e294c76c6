/**
 * A name in the form names are compared in: Unicode NFKC (compatibility forms such as full-width letters or `ﬁ`
 * become plain letters), case-folded (upper- then lower-case, so `ß` and `SS` meet), diacritics removed (NFD, then
 * every combining mark dropped: `Müller` = `Muller`), and whitespace collapsed to single spaces.
 */
export function normalizeName(s: string): string {
  return s.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')
    .replace(/\s+/gu, ' ').trim()
}

/**
 * Whether the name the originator gave for the beneficiary (`intent.beneficiary.name`, one string) is the name the
 * beneficiary's credential discloses, as "given family" or "family given" (FATF R.16 / EU TFR 2023/1113 Art. 14:
 * the originator checks the name it holds against the one verified). Both sides are {@link normalizeName}d; nothing
 * else is forgiven (no initials, no missing middle names).
 */
export function beneficiaryNameMatches(intentName: string, givenName: string, familyName: string): boolean {
  const want = normalizeName(intentName)
  return want !== '' && (want === normalizeName(`${givenName} ${familyName}`) || want === normalizeName(`${familyName} ${givenName}`))
}
