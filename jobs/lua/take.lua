-- take: move up to ARGV[1] jobs, first queue first, each into the worker's processing
-- list of its queue.
--
-- Why atomic: each job moves with LMOVE, so it is always in exactly one list; a worker
-- that dies holding it leaves it in its processing list, not lost (the lesson's BLPOP
-- lost it). A queue left with jobs keeps its marker set, so another blocked worker
-- wakes for them; an emptied queue's marker is cleared, unless it holds a due time.
--
-- KEYS[1..3n]  per queue, in the order they are served, three keys: its list
--              `queue:<name>`, the worker's processing list for it
--              `queue:processing:<name>:<worker>`, and its marker `queue:marker:<name>`
--              (on a Redis Cluster, one queue per call: jobs/keys.py, slot_groups)
-- ARGV[1]      how many jobs to take at most
-- Returns      per queue, the list of job JSON strings taken from it, in order
local count = tonumber(ARGV[1])

local taken, total = {}, 0
for i = 1, #KEYS, 3 do
  local queue, processing, marker = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  local from_queue = {}
  while total < count do
    local job = redis.call('LMOVE', queue, processing, 'LEFT', 'RIGHT')
    if not job then
      break
    end
    from_queue[#from_queue + 1] = job
    total = total + 1
  end
  taken[#taken + 1] = from_queue
  if redis.call('LLEN', queue) > 0 then
    redis.call('ZADD', marker, 'LT', 0, 'next')
  elseif redis.call('ZSCORE', marker, 'next') == '0' then
    redis.call('ZREM', marker, 'next')
  end
end
return taken
