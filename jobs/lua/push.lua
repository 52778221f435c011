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
-- ARGV[1]  job JSON; its handler, queue, attempts and created_at are copied into the hash
-- ARGV[2]  for a delayed job, its due time (unix seconds); absent, the job is queued now
-- ARGV[3]  for a delayed job, the wake-up marker
-- Returns  1 if pushed, 0 if a job with this id exists (its state hash does)
--
-- Every argument costs the client more to send than the server to read, so a job that
-- runs now, the common case, is sent as little as possible: the hash's fields are read
-- from the JSON here rather than sent again, and it has no due time.
local destination, job_hash, queue_list = KEYS[1], KEYS[2], KEYS[3]
local job, due_at, wake_up = ARGV[1], ARGV[2], ARGV[3]

if redis.call('EXISTS', job_hash) == 1 then
  return 0
end
local fields = cjson.decode(job)
local state = 'queued'
if due_at then
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
redis.call('HSET', job_hash, 'state', state, 'handler', fields.handler, 'queue', fields.queue,
  'enqueued_at', string.format('%.6f', fields.created_at), 'attempts', fields.attempts)
return 1
