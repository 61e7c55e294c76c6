import type { KeyRing } from './keyRing.ts'

/**
 * Runs a verification against the ring's keys and, when it fails because the signature names a key the ring does
 * not hold (`isKeyUnknown`), re-reads the key file once and runs it again. Another instance sharing the key
 * directory may have rotated and signed with the new key before this process's periodic refresh (every 30 s):
 * without the re-read its tokens and credentials would be refused here meanwhile (SECURITY.md, "Keys"). `verify`
 * must read the ring's keys itself, so the second run sees the re-read set. A re-read of an unchanged file is one
 * `stat`, so a made-up kid costs no more than that.
 */
export async function withKeyRefresh<T>(keys: Pick<KeyRing, 'refresh'>, isKeyUnknown: (err: unknown) => boolean, verify: () => Promise<T>): Promise<T> {
  try {
    return await verify()
  } catch (err) {
    if (!isKeyUnknown(err)) throw err
    await keys.refresh()
    return verify()
  }
}
