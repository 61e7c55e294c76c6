import { createClient, createCluster, ErrorReply } from 'redis'
import { StoreUnavailableError } from '../errors.ts'
import type { LuaScript } from './lua.ts'

/** A raw RESP2 reply, as node-redis returns it from sendCommand. */
export type Reply = string | number | null | Reply[]

/**
 * The few ways the adapter talks to Redis, the same for one server and for a cluster. Raw commands keep one
 * code path for both node-redis client types; every command names the key whose slot it must run on.
 */
export interface RedisConn {
  /**
   * One server over one connection: commands run in the order they were sent, so a caller may send a command
   * that must follow another without waiting for the first's reply. False for a cluster (two keys may live on
   * two nodes).
   */
  ordered: boolean
  /** Scripts re-sent with EVAL after NOSCRIPT so far (a restarted or flushed server); such a run went out late. */
  readonly reloads: number
  /** One command; on a cluster it goes to the node serving `key`'s hash slot. */
  call(key: string, args: string[]): Promise<Reply>
  /** Runs a script with EVALSHA (EVAL when the node has not cached it). All `keys` must share a slot. */
  run(script: LuaScript, keys: string[], args: string[]): Promise<Reply>
  ping(): Promise<void>
  /**
   * Every key matching `match` of the given TYPE, on every master. SCAN walks the whole keyspace, so this is
   * for recovery sweeps off the request path only.
   */
  scan(match: string, type: string): Promise<string[]>
  close(): Promise<void>
}

export interface OpenConnectionOptions {
  url: string
  /** Seed nodes besides `url`; when given, the connection is a cluster client. */
  cluster?: { rootNodes: string[] }
}

// node-redis reconnects by itself and every failed command rejects; without a listener the 'error' event it
// emits meanwhile would crash the process.
const ignore = () => {}

/** A command that has not answered by then fails the request with 503 instead of holding it. */
const COMMAND_TIMEOUT_MS = 2000
/** Commands are refused at once while disconnected (no offline queue); reconnects are retried every ≤ 500 ms. */
const SOCKET = { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500) }

/** Server replies (ErrorReply: NOSCRIPT, WRONGTYPE…) pass through; lost connections and timeouts become StoreUnavailableError. */
function failClosed(send: (key: string | undefined, args: string[]) => Promise<Reply>) {
  return (key: string | undefined, args: string[]): Promise<Reply> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(new Error(`redis did not answer within ${COMMAND_TIMEOUT_MS} ms`))), COMMAND_TIMEOUT_MS)
    })
    const call = send(key, args).catch((err: unknown) => {
      throw err instanceof ErrorReply ? err : new StoreUnavailableError(err)
    })
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer))
  }
}

/** How long start-up waits for Redis before it gives up with a message (instead of retrying silently for ever). */
const CONNECT_DEADLINE_MS = 10_000

/** A URL without its password, for a message. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable URL)'
  }
}

/** Connects, or fails after CONNECT_DEADLINE_MS naming where it tried and the last error; the client is closed then. */
async function connectWithin(connect: () => Promise<unknown>, destroy: () => void, where: string, lastError: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      destroy()
      const last = lastError()
      reject(new Error(`Redis at ${where} did not answer within ${CONNECT_DEADLINE_MS / 1000} s (SIGIL_REDIS_URL, SIGIL_REDIS_CLUSTER_NODES)${last instanceof Error ? `: ${last.message}` : ''}`))
    }, CONNECT_DEADLINE_MS)
  })
  try {
    await Promise.race([connect(), deadline])
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('Redis at ')) throw err
    destroy()
    throw new Error(`Redis at ${where}: ${err instanceof Error ? err.message : String(err)} (SIGIL_REDIS_URL, SIGIL_REDIS_CLUSTER_NODES)`, { cause: err })
  } finally {
    clearTimeout(timer)
  }
}

export async function openConnection(opts: OpenConnectionOptions): Promise<RedisConn> {
  let send: (key: string | undefined, args: string[]) => Promise<Reply>
  let close: () => Promise<void>
  let scanNodes: () => Promise<ReturnType<typeof createClient>[]>
  if (opts.cluster) {
    const seeds = [...new Set([opts.url, ...opts.cluster.rootNodes])]
    const cluster = createCluster({ rootNodes: seeds.map((url) => ({ url })), defaults: { disableOfflineQueue: true, socket: SOCKET } })
    let last: unknown
    cluster.on('error', (err: unknown) => { last = err })
    await connectWithin(() => cluster.connect(), () => void cluster.destroy(), seeds.map(redactRedisUrl).join(', '), () => last)
    cluster.removeAllListeners('error')
    cluster.on('error', ignore)
    send = failClosed((key, args) => cluster.sendCommand<Reply>(key, false, args))
    close = () => cluster.close()
    scanNodes = () => Promise.all(cluster.masters.map((m) => cluster.nodeClient(m))) as Promise<ReturnType<typeof createClient>[]>
  } else {
    const client = createClient({ url: opts.url, disableOfflineQueue: true, socket: SOCKET })
    let last: unknown
    client.on('error', (err: unknown) => { last = err })
    await connectWithin(() => client.connect(), () => void client.destroy(), redactRedisUrl(opts.url), () => last)
    client.removeAllListeners('error')
    client.on('error', ignore)
    send = failClosed((_key, args) => client.sendCommand<Reply>(args))
    close = () => client.close()
    scanNodes = async () => [client as ReturnType<typeof createClient>]
  }
  const conn: RedisConn = {
    ordered: !opts.cluster,
    reloads: 0,
    call: (key, args) => send(key, args),
    async run(script, keys, args) {
      const tail = [String(keys.length), ...keys, ...args]
      try {
        return await send(keys[0], ['EVALSHA', script.sha, ...tail])
      } catch (err) {
        if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err
        ;(conn as { reloads: number }).reloads++
        return send(keys[0], ['EVAL', script.source, ...tail])
      }
    },
    async ping() {
      await send(undefined, ['PING'])
    },
    async scan(match, type) {
      const found: string[] = []
      try {
        for (const node of await scanNodes()) {
          for await (const batch of node.scanIterator({ MATCH: match, TYPE: type, COUNT: 1000 })) found.push(...batch)
        }
      } catch (err) {
        throw err instanceof ErrorReply ? err : new StoreUnavailableError(err)
      }
      return found
    },
    close,
  }
  return conn
}
