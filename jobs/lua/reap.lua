-- reap: give the jobs of a dead worker back to the front of their queues.
--
-- Why atomic: the worker is checked dead and each job moves from its processing list
-- to its queue (or, abandoned too often, to the failed list) in one step, so a worker
-- that is alive never loses a job, and two reapers never both return one.
--
-- KEYS[1]     the worker registry `queue:workers`
-- KEYS[2]     the dead worker's processing list `queue:processing:<worker>`
-- KEYS[3]     the failed list `queue:failed`
-- KEYS[4]     the dead worker's description `queue:worker:<worker>`
-- KEYS[5..n]  per job, three keys: its queue list `queue:<name>`, its hash `queue:job:<id>`
--             and its queue's marker `queue:marker:<name>` (set to wake a blocked worker);
--             jobs last first, as each is pushed onto the front of its queue
-- ARGV[1]     the worker's id
-- ARGV[2]     the worker is dead if its last heartbeat is older: unix seconds
-- ARGV[3]     a job abandoned more times than this goes to the failed list
-- ARGV[4]     now, unix seconds
-- ARGV[5..]   per job, two values: its JSON as held, and its failed entry (JSON) for
--             when it goes to the failed list
-- Returns     {jobs returned to a queue, jobs failed}, or false if the worker is alive
local workers, processing, failed, description = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local worker, dead_before, max_recoveries = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = ARGV[4]

local heartbeat = tonumber(redis.call('ZSCORE', workers, worker))
if heartbeat and heartbeat >= dead_before then
  return false
end

local returned, gave_up = 0, 0
for i = 5, #KEYS, 3 do
  local queue, job_hash, marker = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  local at = 5 + (i - 5) / 3 * 2
  local job, entry = ARGV[at], ARGV[at + 1]
  if redis.call('LREM', processing, 1, job) == 1 then
    local state, attempt, started_at =
      unpack(redis.call('HMGET', job_hash, 'state', 'attempts', 'started_at'))
    if state == 'running' then
      -- The attempt the worker died in ends here: keep its history entry, as ack and fail do.
      local history_entry = cjson.encode({attempt = tonumber(attempt), worker = worker,
        started_at = tonumber(started_at), finished_at = tonumber(now),
        outcome = 'abandoned', error = 'its worker stopped answering'})
      redis.call('HSET', job_hash, 'run:' .. redis.call('HINCRBY', job_hash, 'runs', 1), history_entry)
    end
    local recoveries = redis.call('HINCRBY', job_hash, 'recoveries', 1)
    local error = 'abandoned ' .. recoveries .. ' times'
    if recoveries > max_recoveries then
      redis.call('RPUSH', failed, entry)
      redis.call('HSET', job_hash, 'state', 'failed', 'error', error, 'finished_at', now)
      gave_up = gave_up + 1
    else
      redis.call('LPUSH', queue, job)
      redis.call('ZADD', marker, 'LT', 0, 'next')
      redis.call('HSET', job_hash, 'state', 'queued', 'error', error)
      returned = returned + 1
    end
    redis.call('HDEL', job_hash, 'worker', 'started_at')
  end
end
if redis.call('LLEN', processing) == 0 then
  redis.call('ZREM', workers, worker)
  redis.call('DEL', description)
end
return {returned, gave_up}
