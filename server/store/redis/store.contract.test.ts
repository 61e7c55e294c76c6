import { after, before } from 'node:test'
import { startRedisCluster, startRedisServer, type TestRedisCluster, type TestRedisServer } from '../../testing/redisServer.ts'
import { storeContract } from '../contract/index.ts'
import type { Store } from '../ports.ts'
import { type ConnectRedisStoreOptions, connectRedisStore } from './index.ts'

// Every test gets its own key prefix, so tests sharing a server never see each other's data; `peer` opens a
// second connection with the same prefix, standing in for another server instance.

let server: TestRedisServer
let cluster: TestRedisCluster
before(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()])
})
after(async () => {
  await Promise.all([server?.stop(), cluster?.stop()])
})

const options = new WeakMap<Store, ConnectRedisStoreOptions>()
let opened = 0

function target(connect: (prefix: string) => ConnectRedisStoreOptions) {
  const make = async () => {
    const opts = connect(`test${++opened}`)
    const store = await connectRedisStore(opts)
    options.set(store, opts)
    return store
  }
  const peer = async (store: Store) => connectRedisStore(options.get(store)!)
  return [make, { peer }] as const
}

storeContract('redis', ...target((prefix) => ({ url: server.url, prefix })))

storeContract('redis cluster', ...target((prefix) => ({
  url: cluster.rootNodes[0]!, prefix, cluster: { rootNodes: cluster.rootNodes.slice(1) },
})))
