-- fail: move a job to the failed list for good.
--
-- Why atomic: the job leaves the processing list in the same step that puts it in the
-- failed list, so it is never lost between the two nor held twice. Fenced like ack.
--
-- KEYS[1]  the processing list holding it `queue:processing:<worker>`
-- KEYS[2]  the failed list `queue:failed`
-- KEYS[3]  the job's state hash `queue:job:<id>` (absent for data that is not a job)
-- ARGV[1]  the data as taken
-- ARGV[2]  the failed entry: the job JSON plus `error` and `failed_at`
-- ARGV[3]  the error
-- ARGV[4]  the last attempt's number, ARGV[5] its record (JSON)
-- ARGV[6]  when the last attempt started, ARGV[7] when it failed, unix seconds
-- Returns  1 if recorded, 0 if stale
local processing, failed, job_hash = KEYS[1], KEYS[2], KEYS[3]
local taken, entry, error = ARGV[1], ARGV[2], ARGV[3]
local attempt, record, started_at, finished_at = ARGV[4], ARGV[5], ARGV[6], ARGV[7]

if redis.call('LREM', processing, 1, taken) == 0 then
  return 0
end
redis.call('RPUSH', failed, entry)
if job_hash then
  redis.call('HSET', job_hash, 'state', 'failed', 'error', error,
    'started_at', started_at, 'finished_at', finished_at, 'attempt:' .. attempt, record)
  redis.call('HDEL', job_hash, 'due_at')
end
return 1
