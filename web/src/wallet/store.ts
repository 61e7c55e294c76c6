/**
 * The wallet's storage, in this browser only: per signed-in user (keyed by the id from GET /v1/me), the holder
 * key and the credentials. The holder record also names the account's handle, so the signed-out recover page
 * can find that account's wallet (recovery by credential). The private key is a non-extractable CryptoKey: IndexedDB keeps the object
 * (structured clone) but no script, ours included, can ever read its bytes.
 */

const DB = 'sigil-wallet'
const HOLDERS = 'holders'
const CREDENTIALS = 'credentials'

export interface HolderRecord {
  userId: string
  /**
   * The account's handle (lowercase), written by the wallet page; absent in records made before it was kept,
   * until the wallet page is opened again by that account.
   */
  handle?: string
  privateKey: CryptoKey
  /** The public key as a JWK (what the proof JWT's `jwk` header and the credential's `cnf` carry). */
  jwk: JsonWebKey
  createdAt: string
}

export interface StoredCredential {
  id: string
  userId: string
  /** The SD-JWT VC as issued: issuer JWT and every disclosure (`jwt~d1~d2~…~`). */
  credential: string
  issuer: string
  receivedAt: string
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1)
    req.onupgradeneeded = () => {
      req.result.createObjectStore(HOLDERS, { keyPath: 'userId' })
      req.result.createObjectStore(CREDENTIALS, { keyPath: 'id' }).createIndex('userId', 'userId')
    }
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'))
  })
}

async function run<T>(store: string, mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open()
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(store, mode)
      const req = op(tx.objectStore(store))
      tx.oncomplete = () => resolve(req.result as T)
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'))
    })
  } finally {
    db.close()
  }
}

export const readHolder = (userId: string): Promise<HolderRecord | undefined> => run(HOLDERS, 'readonly', (s) => s.get(userId))
export const writeHolder = (record: HolderRecord): Promise<unknown> => run(HOLDERS, 'readwrite', (s) => s.put(record))
/**
 * Notes the account's handle on its holder record (when there is one and it isn't already noted); does not make
 * a key. The wallet page calls it on every load, so records older than the field get it too.
 */
export async function rememberHandle(userId: string, handle: string): Promise<void> {
  const found = await readHolder(userId)
  const h = handle.toLowerCase()
  if (found && found.handle !== h) await writeHolder({ ...found, handle: h })
}

/**
 * The holder records of the account with this handle (normally one). There are a handful of records per browser,
 * so a scan of them all (no index, no schema change) is enough; records without a handle never match.
 */
export async function holdersByHandle(handle: string): Promise<HolderRecord[]> {
  const h = handle.toLowerCase()
  const all = await run<HolderRecord[]>(HOLDERS, 'readonly', (s) => s.getAll())
  return all.filter((r) => r.handle === h)
}

export const saveCredential = (record: StoredCredential): Promise<unknown> => run(CREDENTIALS, 'readwrite', (s) => s.put(record))
export const deleteCredential = (id: string): Promise<unknown> => run(CREDENTIALS, 'readwrite', (s) => s.delete(id))

/** This user's credentials, newest first. */
export async function listCredentials(userId: string): Promise<StoredCredential[]> {
  const all = await run<StoredCredential[]>(CREDENTIALS, 'readonly', (s) => s.index('userId').getAll(userId))
  return all.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
}
