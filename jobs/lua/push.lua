-- push: put a job on its queue (or the delayed set) and record its state, unless a job
-- with its id was pushed already (so pushing one job twice queues it once).
--
-- Why atomic: the order page must never see a job in a queue without its state hash,
-- nor a state hash for a job that was never queued; and two pushes of one id must not
-- both see it missing.
--
-- KEYS[1]  destination: the queue list `queue:<name>`, or the delayed zset `queue:delayed`
-- KEYS[2]  the job's state hash `queue:job:<id>`
-- ARGV[1]  job JSON
-- ARGV[2]  due time, unix seconds; "0" pushes onto the queue list now
-- ARGV[3]  now, unix seconds (the enqueue time)
-- ARGV[4]  handler name, ARGV[5] queue name (copied into the hash for readers)
-- ARGV[6]  attempts already made (0 for a new job)
-- Returns  1 if pushed, 0 if a job with this id exists (its state hash does)
local destination, job_hash = KEYS[1], KEYS[2]
local job, due_at, now = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local handler, queue, attempts = ARGV[4], ARGV[5], ARGV[6]

if redis.call('EXISTS', job_hash) == 1 then
  return 0
end
if due_at > 0 then
  redis.call('ZADD', destination, due_at, job)
  redis.call('HSET', job_hash, 'state', 'delayed', 'due_at', ARGV[2])
else
  redis.call('RPUSH', destination, job)
  redis.call('HSET', job_hash, 'state', 'queued')
end
redis.call('HSET', job_hash, 'handler', handler, 'queue', queue, 'enqueued_at', now, 'attempts', attempts)
return 1
