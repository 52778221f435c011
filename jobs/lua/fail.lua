-- fail: move a job to the failed list for good.
--
-- Why atomic: the job leaves the processing list in the same step that puts it in the
-- failed list, so it is never lost between the two nor held twice. Fenced like ack.
--
-- KEYS[1]  the processing list holding it `queue:processing:<name>:<worker>`
-- KEYS[2]  the failed list `queue:failed:<name>`
-- KEYS[3]  this minute's counter `queue:stats:<name>:failed:<minute>`
-- KEYS[4]  the per-handler counters `queue:stats:<name>:handlers`
-- KEYS[5]  the job's state hash `queue:job:<name>:<id>` (absent for data that is not a job)
-- ARGV[1]  the data as taken
-- ARGV[2]  the failed entry: the job JSON plus `error` and `failed_at`
-- ARGV[3]  the error
-- ARGV[4]  the last attempt's history entry (JSON, the hash's next `run:<n>` field)
-- ARGV[5]  when the last attempt started, ARGV[6] when it failed, unix seconds
-- ARGV[7]  the job's handler, ARGV[8] seconds to keep the minute's counter
-- Returns  1 if recorded, 0 if stale
local processing, failed, minute, handlers, job_hash = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local taken, entry, error = ARGV[1], ARGV[2], ARGV[3]
local history_entry, started_at, finished_at = ARGV[4], ARGV[5], ARGV[6]
local handler, keep_counter_seconds = ARGV[7], ARGV[8]

if redis.call('LREM', processing, 1, taken) == 0 then
  return 0
end
redis.call('RPUSH', failed, entry)
redis.call('INCR', minute)
redis.call('EXPIRE', minute, keep_counter_seconds)
redis.call('HINCRBY', handlers, handler .. ':failed', 1)
if job_hash then
  local run = redis.call('HINCRBY', job_hash, 'runs', 1)
  redis.call('HSET', job_hash, 'state', 'failed', 'error', error,
    'started_at', started_at, 'finished_at', finished_at, 'run:' .. run, history_entry)
  redis.call('HDEL', job_hash, 'due_at')
end
return 1
