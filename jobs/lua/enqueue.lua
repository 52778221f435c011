-- enqueue: put a job at the end of its queue and record its state, unless a job with
-- its id was queued already (so dispatching one job id twice queues it once).
--
-- Why atomic: the order page must never see a job in a queue without its state hash,
-- nor a state hash for a job that was never queued; and two dispatches of one id must
-- not both see it missing. The queue's marker, set in the same step, wakes a worker
-- blocked on it (jobs/fetch.py).
--
-- KEYS[1]  the queue list `queue:<name>`
-- KEYS[2]  the job's state hash `queue:job:<name>:<id>`
-- KEYS[3]  the queue's marker `queue:marker:<name>`
-- ARGV[1]  job JSON; its handler, queue, attempts and created_at are copied into the hash
-- Returns  1 if queued, 0 if a job with this id exists (its state hash does)
--
-- Every argument costs the client more to send than the server to read, so the hash's
-- fields are read from the JSON here rather than sent again.
local queue_list, job_hash, marker = KEYS[1], KEYS[2], KEYS[3]
local job = ARGV[1]

if redis.call('EXISTS', job_hash) == 1 then
  return 0
end
local fields = cjson.decode(job)
redis.call('RPUSH', queue_list, job)
redis.call('ZADD', marker, 'LT', 0, 'next')
redis.call('HSET', job_hash, 'state', 'queued', 'handler', fields.handler, 'queue', fields.queue,
  'enqueued_at', string.format('%.6f', fields.created_at), 'attempts', fields.attempts)
return 1
