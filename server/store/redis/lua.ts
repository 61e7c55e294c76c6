import { createHash } from 'node:crypto'

/** A Lua script and its SHA-1, which is what EVALSHA names it by. */
export interface LuaScript {
  source: string
  sha: string
}

export function lua(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * HSET only if the hash exists (a plain HSET would create a partial record); 1 if it did. With no
 * field/value pairs it only reports whether the record exists, like an SQL UPDATE that matches a row.
 * KEYS: record. ARGV: field/value pairs.
 */
export const HSET_IF_EXISTS = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1`)

/** Creates the hash unless the key exists; 1 if it did. KEYS: record. ARGV: field/value pairs. */
export const HSET_IF_ABSENT = lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`)

/**
 * HGETALL of the record named by each member of a set, in one round trip and one slot. Members whose record
 * is gone (expired by TTL) are dropped from the set. KEYS: set. ARGV: record key prefix (member appended).
 */
export const MEMBER_RECORDS = lua(`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = redis.call('HGETALL', ARGV[1] .. id)
  if #h == 0 then redis.call('SREM', KEYS[1], id) else out[#out + 1] = h end
end
return out`)
