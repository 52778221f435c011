-- retry: schedule a failed attempt's job again after its backoff.
--
-- Why atomic: the job leaves the processing list in the same step that puts it in the
-- delayed set, so it is never lost between the two nor held twice. Fenced like ack.
--
-- KEYS[1]  the worker's processing list `queue:processing:<name>:<worker>`
-- KEYS[2]  the delayed zset `queue:delayed:<name>`
-- KEYS[3]  the job's state hash `queue:job:<name>:<id>`
-- KEYS[4]  the job's queue's marker `queue:marker:<name>`: takes the due time if earliest
-- ARGV[1]  the job JSON as taken
-- ARGV[2]  the job JSON to schedule (with its attempts so far)
-- ARGV[3]  due time of the next attempt, unix seconds
-- ARGV[4]  the error of this attempt
-- ARGV[5]  this attempt's history entry (JSON, the hash's next `run:<n>` field)
-- ARGV[6]  when this attempt started, ARGV[7] when it ended, unix seconds
-- Returns  1 if scheduled, 0 if stale
local processing, delayed, job_hash, marker = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local taken, next_job, due_at, error = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local history_entry, started_at, finished_at = ARGV[5], ARGV[6], ARGV[7]

if redis.call('LREM', processing, 1, taken) == 0 then
  return 0
end
redis.call('ZADD', delayed, due_at, next_job)
redis.call('ZADD', marker, 'LT', due_at, 'next')
local run = redis.call('HINCRBY', job_hash, 'runs', 1)
redis.call('HSET', job_hash, 'state', 'retrying', 'due_at', due_at, 'error', error,
  'started_at', started_at, 'finished_at', finished_at, 'run:' .. run, history_entry)
return 1
