-- push_many: put many jobs on one queue and record their states, skipping any job whose
-- id was pushed already; the bulk form of push.
--
-- Why atomic: as for push, a job is never in the queue without its state hash, nor the
-- other way round; one call instead of one per job is what makes bulk enqueue fast.
--
-- KEYS[1]     the queue list `queue:<name>`
-- KEYS[2..n]  each job's state hash `queue:job:<id>`
-- ARGV[1..]   each job's JSON, in KEYS order
-- Returns     how many jobs were pushed
local queue_list = KEYS[1]

local fresh = {}
for i = 2, #KEYS do
  local job = ARGV[i - 1]
  if redis.call('EXISTS', KEYS[i]) == 0 then
    local fields = cjson.decode(job)
    redis.call('HSET', KEYS[i], 'state', 'queued', 'handler', fields.handler,
      'queue', fields.queue, 'enqueued_at', string.format('%.6f', fields.created_at),
      'attempts', fields.attempts)
    fresh[#fresh + 1] = job
  end
end
-- One RPUSH for the lot; unpack takes a few thousand arguments at most, hence the steps.
for first = 1, #fresh, 1000 do
  redis.call('RPUSH', queue_list, unpack(fresh, first, math.min(first + 999, #fresh)))
end
return #fresh
