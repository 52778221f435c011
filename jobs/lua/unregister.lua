-- unregister: take a worker off the registry, unless it is alive after all.
--
-- Why atomic: the heartbeat is checked and the entry removed in one step, so a worker
-- that beat meanwhile stays registered (the reaper tries it again later).
--
-- KEYS[1]  the worker registry `queue:workers`
-- ARGV[1]  the worker's id
-- ARGV[2]  the worker is dead if its last heartbeat is older: unix seconds
-- Returns  1 if it was taken off (or was not there), 0 if it is alive
local workers = KEYS[1]
local worker, dead_before = ARGV[1], tonumber(ARGV[2])

local heartbeat = tonumber(redis.call('ZSCORE', workers, worker))
if heartbeat and heartbeat >= dead_before then
  return 0
end
redis.call('ZREM', workers, worker)
return 1
