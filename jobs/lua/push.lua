-- push: put a job on its queue (or the delayed set) and record its state, unless a job
-- with its id was pushed already (so pushing one job twice queues it once).
--
-- Why atomic: the order page must never see a job in a queue without its state hash,
-- nor a state hash for a job that was never queued; and two pushes of one id must not
-- both see it missing.
--
-- KEYS[1]  destination: the queue list `queue:<name>`, or the delayed zset `queue:delayed`
-- KEYS[2]  the job's state hash `queue:job:<id>`
-- KEYS[3]  for a delayed job, its queue list `queue:<name>`
-- ARGV[1]  job JSON
-- ARGV[2]  due time, unix seconds; "0" pushes onto the queue list now
-- ARGV[3..6]  the job's handler, queue, created_at and attempts, for its state hash
-- ARGV[7]  for a delayed job, the wake-up marker
-- Returns  1 if pushed, 0 if a job with this id exists (its state hash does)
--
-- The hash's fields come as arguments rather than decoded from the JSON here: on the
-- hot path of every dispatch, cjson.decode costs more than sending four short strings.
local destination, job_hash, queue_list = KEYS[1], KEYS[2], KEYS[3]
local job, due_at, handler, queue, created_at, attempts, wake_up = unpack(ARGV)

if redis.call('EXISTS', job_hash) == 1 then
  return 0
end
local state = 'queued'
if due_at ~= '0' then
  redis.call('ZADD', destination, due_at, job)
  redis.call('HSET', job_hash, 'due_at', due_at)
  state = 'delayed'
  if redis.call('ZRANGE', destination, 0, 0)[1] == job then
    -- Due before every other delayed job: a worker blocked on the queue may be waiting
    -- past its due time, so wake it with a marker it discards.
    redis.call('RPUSH', queue_list, wake_up)
  end
else
  redis.call('RPUSH', destination, job)
end
redis.call('HSET', job_hash, 'state', state, 'handler', handler, 'queue', queue,
  'enqueued_at', created_at, 'attempts', attempts)
return 1
