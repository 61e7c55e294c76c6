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

/**
 * The same script, also appending outbox events to a stream in the same slot when the change happened: the
 * transactional outbox. The caller adds the stream as the last key, and after its own arguments the events'
 * JSON then their count (see outboxArgs). `ok` is a Lua expression over the script's result `r`.
 */
export function withOutbox(script: LuaScript, ok: string): LuaScript {
  return lua(`
local outbox = table.remove(KEYS)
local n = tonumber(table.remove(ARGV))
local events = {}
for i = n, 1, -1 do events[i] = table.remove(ARGV) end
local r = (function()
${script.source}
end)()
if n > 0 and (${ok}) then
  for i = 1, n do redis.call('XADD', outbox, '*', 'e', events[i]) end
end
return r`)
}

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
