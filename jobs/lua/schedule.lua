-- schedule: put a job in the delayed set, due at a given time, and record its state,
-- unless a job with its id was queued already.
--
-- Why atomic: as for enqueue, a job is never in the delayed set without its state hash,
-- nor the other way round, and two dispatches of one id queue it once.
--
-- KEYS[1]  the delayed zset `queue:delayed`
-- KEYS[2]  the job's state hash `queue:job:<id>`
-- KEYS[3]  the job's queue list `queue:<name>`, for the wake-up marker
-- ARGV[1]  job JSON; its handler, queue, attempts and created_at are copied into the hash
-- ARGV[2]  its delay, seconds: it is due that long after now by the server's clock (TIME),
--          which every worker's migrate_delayed compares due times with
-- ARGV[3]  the wake-up marker
-- Returns  1 if scheduled, 0 if a job with this id exists (its state hash does)
local delayed, job_hash, queue_list = KEYS[1], KEYS[2], KEYS[3]
local job, delay_seconds, wake_up = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local time = redis.call('TIME')
local due_at = string.format('%.6f', time[1] + time[2] / 1e6 + delay_seconds)

if redis.call('EXISTS', job_hash) == 1 then
  return 0
end
local fields = cjson.decode(job)
redis.call('ZADD', delayed, due_at, job)
if redis.call('ZRANGE', delayed, 0, 0)[1] == job then
  -- Due before every other delayed job: a worker blocked on the queue may be waiting
  -- past its due time, so wake it with a marker it discards.
  redis.call('RPUSH', queue_list, wake_up)
end
redis.call('HSET', job_hash, 'state', 'delayed', 'due_at', due_at, 'handler', fields.handler,
  'queue', fields.queue, 'enqueued_at', string.format('%.6f', fields.created_at),
  'attempts', fields.attempts)
return 1
