-- migrate_delayed: move due delayed jobs to the end of their queues.
--
-- Why atomic: ZRANGEBYSCORE, RPUSH and ZREM in one step, so two workers migrating at
-- once never both move a job, and a crash between the moves cannot lose or copy one.
-- The lesson pushed every job to `default`; here each queue has its own delayed set, and
-- its jobs go back onto it. (Data that is not a job moves too: the worker that takes it
-- puts it on the failed list with the reason.)
--
-- KEYS[1..3n]  per queue, three keys: its delayed zset `queue:delayed:<name>`, its list
--              `queue:<name>`, and its marker `queue:marker:<name>`, set when a job moves
--              onto the queue (on a Redis Cluster, one queue per call: jobs/keys.py)
-- ARGV[1]      now, unix seconds: jobs scored at or before it are due
-- ARGV[2]      at most this many jobs are moved in one call, to bound the time Redis is
--              blocked
-- Returns      {moved, the earliest due time still waiting, as a string, or false}
local now, limit = ARGV[1], tonumber(ARGV[2])

local moved, next_due = 0, false
for i = 1, #KEYS, 3 do
  local delayed, queue, marker = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  if moved < limit then
    local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, limit - moved)
    for _, job in ipairs(due) do
      redis.call('RPUSH', queue, job)
      redis.call('ZREM', delayed, job)
    end
    if #due > 0 then
      redis.call('ZADD', marker, 'LT', 0, 'next')
      moved = moved + #due
    end
  end
  local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')[2]
  if first and (not next_due or tonumber(first) < tonumber(next_due)) then
    next_due = first
  end
end
return {moved, next_due}
