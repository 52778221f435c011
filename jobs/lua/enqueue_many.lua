-- enqueue_many: put many jobs on one queue and record their states, skipping any job
-- whose id was queued already; the bulk form of enqueue.
--
-- Why atomic: as for enqueue, a job is never in the queue without its state hash, nor the
-- other way round; one call instead of one per job is what makes bulk enqueue fast.
--
-- KEYS[1]     the queue list `queue:<name>`
-- KEYS[2]     the queue's marker `queue:marker:<name>`
-- KEYS[3..n]  each job's state hash `queue:job:<name>:<id>`
-- ARGV[1]     now, unix seconds (the enqueue time)
-- ARGV[2]     the queue's name, ARGV[3] the handler of every job (copied into the hashes)
-- ARGV[4..]   each job's JSON, in KEYS order
-- Returns     how many jobs were pushed
local queue_list, marker = KEYS[1], KEYS[2]
local now, queue, handler = ARGV[1], ARGV[2], ARGV[3]

local fresh = {}
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'state', 'queued', 'handler', handler, 'queue', queue,
      'enqueued_at', now, 'attempts', 0)
    fresh[#fresh + 1] = ARGV[i + 1]
  end
end
-- One RPUSH for the lot; unpack takes a few thousand arguments at most, hence the steps.
for first = 1, #fresh, 1000 do
  redis.call('RPUSH', queue_list, unpack(fresh, first, math.min(first + 999, #fresh)))
end
if #fresh > 0 then
  redis.call('ZADD', marker, 'LT', 0, 'next')
end
return #fresh
