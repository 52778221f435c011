-- retry_failed: put a job from the failed list back on its queue, its attempts reset.
--
-- Why atomic: the entry leaves the failed list in the same step that queues the job, so
-- retrying twice at once queues it once, and a crash between cannot lose it.
--
-- KEYS[1]  the failed list `queue:failed:<name>`
-- KEYS[2]  the job's queue list `queue:<name>`
-- KEYS[3]  the job's state hash `queue:job:<name>:<id>`
-- KEYS[4]  the queue's marker `queue:marker:<name>`, set to wake a blocked worker
-- ARGV[1]  the failed entry as stored
-- ARGV[2]  the job JSON to queue
-- ARGV[3]  now, unix seconds
-- Returns  1 if queued, 0 if the entry was no longer in the failed list
local failed, queue, job_hash, marker = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local entry, job, now = ARGV[1], ARGV[2], ARGV[3]

if redis.call('LREM', failed, 1, entry) == 0 then
  return 0
end
redis.call('RPUSH', queue, job)
redis.call('ZADD', marker, 'LT', 0, 'next')
redis.call('HSET', job_hash, 'state', 'queued', 'attempts', 0, 'enqueued_at', now)
redis.call('HDEL', job_hash, 'error', 'finished_at', 'started_at', 'due_at', 'worker', 'recoveries')
return 1
