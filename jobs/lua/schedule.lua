-- schedule: put a job in the delayed set, due after a delay, and record its state,
-- unless a job with its id was queued already.
--
-- Why atomic: as for enqueue, a job is never in the delayed set without its state hash,
-- nor the other way round, and two dispatches of one id queue it once. The queue's
-- marker takes the due time if it is the earliest, so a worker blocked on the queue
-- wakes to wait for it (jobs/fetch.py), however long it meant to block.
--
-- KEYS[1]  the delayed zset `queue:delayed:<name>`
-- KEYS[2]  the job's state hash `queue:job:<name>:<id>`
-- KEYS[3]  the job's queue's marker `queue:marker:<name>`
-- ARGV[1]  job JSON; its handler, queue, attempts and created_at are copied into the hash
-- ARGV[2]  its delay, seconds: it is due that long after now by the server's clock (TIME),
--          which every worker's migrate_delayed compares due times with
-- Returns  1 if scheduled, 0 if a job with this id exists (its state hash does)
local delayed, job_hash, marker = KEYS[1], KEYS[2], KEYS[3]
local job, delay_seconds = ARGV[1], tonumber(ARGV[2])
local time = redis.call('TIME')
local due_at = string.format('%.6f', time[1] + time[2] / 1e6 + delay_seconds)

if redis.call('EXISTS', job_hash) == 1 then
  return 0
end
local fields = cjson.decode(job)
redis.call('ZADD', delayed, due_at, job)
redis.call('ZADD', marker, 'LT', due_at, 'next')
redis.call('HSET', job_hash, 'state', 'delayed', 'due_at', due_at, 'handler', fields.handler,
  'queue', fields.queue, 'enqueued_at', string.format('%.6f', fields.created_at),
  'attempts', fields.attempts)
return 1
