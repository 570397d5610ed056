"""The Lua scripts of the Redis store: each runs atomically in Redis, one round trip.

Keys (under a prefix): `lease` (who may write now), `version` (units committed),
`log` (the newest units, each "<unit id> <operations as JSON>"), `log_start` (the
version of its first one), `head` (the id of the newest unit), and the state: hashes
`meta`, `teams`, `tasks`, `uploads`, `offsets`, `deliveries`, `faults`, lists
`ledger:<team>` and the set `ledgers` of their teams.
"""

from __future__ import annotations

from .shared_run import FLUSH_FUNCTION

# What a process that has applied every unit up to version `mine`, the last of them with
# id `head`, lacks: {version} when nothing, {version, {units...}} when the log still has
# them all, {version, "reload"} when it does not, when a unit replaced the whole state,
# or when the unit at `mine` is not `head` (Redis lost writes: it came back from an
# older state, and others may have written past `mine` since).
_SINCE = """
local function since(mine, head)
  local v = tonumber(redis.call('get', KEYS[2]) or '0')
  if mine == v then
    if (redis.call('get', KEYS[5]) or '') == head then return {v} end
    return {v, 'reload'}
  end
  local start = tonumber(redis.call('get', KEYS[4]) or '1')
  if mine < 0 or mine > v or mine + 1 < start then return {v, 'reload'} end
  if mine >= start then
    local own = redis.call('lindex', KEYS[3], mine - start)
    if string.sub(own, 1, #head + 1) ~= head .. ' ' then return {v, 'reload'} end
  elseif mine > 0 then
    return {v, 'reload'}  -- its unit left the log: it cannot be checked
  end
  local units = redis.call('lrange', KEYS[3], mine + 1 - start, -1)
  for _, unit in ipairs(units) do
    if string.sub(unit, -6) == 'RELOAD' then return {v, 'reload'} end
  end
  return {v, units}
end
"""

# KEYS: lease, version, log, log_start, head. ARGV: mine, head.
CATCH_UP = _SINCE + "return since(tonumber(ARGV[1]), ARGV[2])"

# KEYS: lease, version, log, log_start, head. ARGV: token, ttl in ms, mine, head.
# {-1} while another process holds the lease; else what `since` says, lease taken.
ACQUIRE = _SINCE + """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {-1} end
return since(tonumber(ARGV[3]), ARGV[4])
"""

# KEYS: lease. ARGV: token, the key prefix, the journal's waiting entries (FLUSH_FUNCTION).
RELEASE = FLUSH_FUNCTION + """
flush_run(ARGV[2], ARGV[3])
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

# KEYS: lease, version, log, log_start, head. ARGV: token, the version the writer last
# saw, the log's length to keep, the unit's operations (JSON), the key prefix, the
# journal's waiting entries (FLUSH_FUNCTION), the unit's id.
# {-1, version} when someone else committed since (nothing is written); else the
# operations run, the unit goes on the log, the lease is given back: {new version}.
COMMIT = FLUSH_FUNCTION + """
local v = tonumber(redis.call('get', KEYS[2]) or '0')
if v ~= tonumber(ARGV[2]) then return {-1, v} end
flush_run(ARGV[5], ARGV[6])
local prefix = ARGV[5]
local ops = cjson.decode(ARGV[4])
local function drop_rows(hash, team)
  local all = redis.call('hgetall', prefix .. hash)
  for i = 1, #all, 2 do
    if cjson.decode(all[i + 1])[2] == team then redis.call('hdel', prefix .. hash, all[i]) end
  end
end
local replaced = false
for _, op in ipairs(ops) do
  local command = op[1]
  if command == 'FLUSHSTATE' then
    replaced = true
    for _, team in ipairs(redis.call('smembers', prefix .. 'ledgers')) do
      redis.call('del', prefix .. 'ledger:' .. team)
    end
    redis.call('del', prefix .. 'ledgers', prefix .. 'meta', prefix .. 'teams',
               prefix .. 'tasks', prefix .. 'uploads', prefix .. 'offsets',
               prefix .. 'deliveries', prefix .. 'faults')
  elseif command == 'DROPTEAM' then
    local team = op[2]
    redis.call('hdel', prefix .. 'teams', team)
    redis.call('hdel', prefix .. 'offsets', team)
    redis.call('del', prefix .. 'ledger:' .. team)
    redis.call('srem', prefix .. 'ledgers', team)
    drop_rows('tasks', team)
    drop_rows('uploads', team)
    drop_rows('deliveries', team)
  else
    op[2] = prefix .. op[2]
    redis.call(unpack(op))
  end
end
-- a replaced state is read whole, not replayed: the log keeps a marker, not its rows
redis.call('rpush', KEYS[3], ARGV[7] .. ' ' .. (replaced and 'RELOAD' or ARGV[4]))
redis.call('set', KEYS[5], ARGV[7])
v = redis.call('incr', KEYS[2])
if redis.call('exists', KEYS[4]) == 0 then redis.call('set', KEYS[4], v) end
local over = redis.call('llen', KEYS[3]) - tonumber(ARGV[3])
if over > 0 then
  redis.call('ltrim', KEYS[3], over, -1)
  redis.call('incrby', KEYS[4], over)
end
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return {v}
"""

# KEYS: version, meta, teams, tasks, uploads, offsets, deliveries, faults, ledgers, head.
# ARGV: the key prefix. The whole state at one version, and the id of its unit.
LOAD = """
local out = {redis.call('get', KEYS[1]) or '0'}
for i = 2, 8 do out[i] = redis.call('hgetall', KEYS[i]) end
local ledgers = {}
for _, team in ipairs(redis.call('smembers', KEYS[9])) do
  ledgers[#ledgers + 1] = team
  ledgers[#ledgers + 1] = redis.call('lrange', ARGV[1] .. 'ledger:' .. team, 0, -1)
end
out[9] = ledgers
out[10] = redis.call('get', KEYS[10]) or ''
return out
"""
