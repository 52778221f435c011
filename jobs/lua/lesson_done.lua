-- lesson_done: record the end of a job the lesson's worker popped (jobs/lesson_worker.py).
--
-- Why atomic: the job's state hash, the dashboard's counters and, for a job that failed
-- for good, its entry in the failed list change together, so the order page and the
-- dashboard never disagree about it. There is no processing list to take it from: BLPOP
-- already took it out of Redis, which is the lesson's bug this worker keeps.
--
-- KEYS[1]  the job's state hash `queue:job:<name>:<id>`
-- KEYS[2]  this minute's counter, `queue:stats:<name>:processed:<minute>` or `:failed:<minute>`
-- KEYS[3]  the per-handler counters `queue:stats:<name>:handlers`
-- KEYS[4]  the failed list `queue:failed:<name>`
-- ARGV[1]  the job's new state: `succeeded` or `failed`
-- ARGV[2]  the error, or '' for none
-- ARGV[3]  this attempt's history entry (JSON, the hash's next `run:<n>` field)
-- ARGV[4]  when the attempt started, ARGV[5] when it ended, unix seconds
-- ARGV[6]  the job's handler, ARGV[7] its duration's histogram bucket
-- ARGV[8]  seconds to keep a succeeded job's hash, ARGV[9] seconds to keep the counter
-- ARGV[10] the failed list's entry (job JSON + error + failed_at), or '' for none
-- Returns  the run number recorded
local job_hash, minute, handlers, failed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local state, error, history_entry = ARGV[1], ARGV[2], ARGV[3]
local started_at, finished_at, handler, bucket = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local keep_seconds, keep_counter_seconds, failed_entry = ARGV[8], ARGV[9], ARGV[10]

local run = redis.call('HINCRBY', job_hash, 'runs', 1)
redis.call('HSET', job_hash, 'state', state, 'started_at', started_at,
  'finished_at', finished_at, 'run:' .. run, history_entry)
redis.call('HDEL', job_hash, 'due_at')
redis.call('INCR', minute)
redis.call('EXPIRE', minute, keep_counter_seconds)
if state == 'succeeded' then
  redis.call('HDEL', job_hash, 'error')
  redis.call('EXPIRE', job_hash, keep_seconds)
  redis.call('HINCRBY', handlers, handler .. ':processed', 1)
  redis.call('HINCRBY', handlers, handler .. ':le:' .. bucket, 1)
  redis.call('HINCRBYFLOAT', handlers, handler .. ':seconds', finished_at - started_at)
else
  redis.call('HSET', job_hash, 'error', error)
  redis.call('HINCRBY', handlers, handler .. ':failed', 1)
end
if failed_entry ~= '' then
  redis.call('RPUSH', failed, failed_entry)
end
return run
