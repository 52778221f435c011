-- requeue: give a taken job that never started back to the front of its queue.
--
-- Why atomic: the job leaves the processing list in the same step that puts it back,
-- and the attempt `start` counted for it is taken back, since its handler never ran.
--
-- KEYS[1]  the worker's processing list `queue:processing:<name>:<worker>`
-- KEYS[2]  the job's queue list `queue:<name>`
-- KEYS[3]  the job's state hash `queue:job:<name>:<id>`
-- KEYS[4]  the queue's marker `queue:marker:<name>`, set to wake a blocked worker
-- ARGV[1]  the job JSON as taken
-- Returns  1 if requeued, 0 if it was no longer held
local processing, queue, job_hash, marker = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local taken = ARGV[1]

if redis.call('LREM', processing, 1, taken) == 0 then
  return 0
end
redis.call('LPUSH', queue, taken)
redis.call('ZADD', marker, 'LT', 0, 'next')
redis.call('HINCRBY', job_hash, 'attempts', -1)
redis.call('HSET', job_hash, 'state', 'queued')
redis.call('HDEL', job_hash, 'worker', 'started_at')
return 1
