-- reap: give the jobs a dead worker held from one queue back to the front of that queue.
--
-- Why atomic: each job moves from the worker's processing list to its queue (or,
-- abandoned too often, to the failed list) in one step with its state, so two reapers
-- never both return one, and a crash between the moves cannot lose or copy one.
--
-- KEYS[1]     the dead worker's processing list `queue:processing:<name>:<worker>`
-- KEYS[2]     the queue list `queue:<name>`
-- KEYS[3]     its marker `queue:marker:<name>`, set to wake a blocked worker
-- KEYS[4]     its failed list `queue:failed:<name>`
-- KEYS[5..n]  each job's state hash `queue:job:<name>:<id>`, jobs last first, as each is
--             pushed onto the front of the queue
-- ARGV[1]     the worker's id
-- ARGV[2]     a job abandoned more times than this goes to the failed list
-- ARGV[3]     now, unix seconds
-- ARGV[4..]   per job, two values: its JSON as held, and its failed entry (JSON) for
--             when it goes to the failed list
-- Returns     {jobs returned to the queue, jobs failed}
local processing, queue, marker, failed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local worker, max_recoveries, now = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local returned, gave_up = 0, 0
for i = 5, #KEYS do
  local job_hash = KEYS[i]
  local at = 4 + (i - 5) * 2
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
return {returned, gave_up}
