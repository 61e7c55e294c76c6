import type { KeyRing } from './keyRing.ts'

/** At most one re-read for an unknown key per this long, per key ring: a made-up kid must not make every request read the file. */
const UNKNOWN_KID_REREAD_MS = 1000
const lastReread = new WeakMap<object, number>()

/**
 * Runs a verification against the ring's keys and, when it fails because the signature names a key the ring does
 * not hold (`isKeyUnknown`), re-reads the key file once and runs it again. Another instance sharing the key
 * directory may have rotated and signed with the new key before this process's periodic refresh (every 30 s):
 * without the re-read its tokens and credentials would be refused here meanwhile (SECURITY.md, "Keys"). `verify`
 * must read the ring's keys itself, so the second run sees the re-read set. Re-reads for unknown keys happen at
 * most once a second per ring (a stream of made-up kids costs one `stat` a second, also on a network mount), and
 * concurrent ones share one read (KeyRing.refresh).
 */
export async function withKeyRefresh<T>(keys: Pick<KeyRing, 'refresh'>, isKeyUnknown: (err: unknown) => boolean, verify: () => Promise<T>): Promise<T> {
  try {
    return await verify()
  } catch (err) {
    if (!isKeyUnknown(err)) throw err
    const now = Date.now()
    if (now - (lastReread.get(keys) ?? -Infinity) < UNKNOWN_KID_REREAD_MS) throw err
    lastReread.set(keys, now)
    await keys.refresh()
    return verify()
  }
}
