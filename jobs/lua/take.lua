-- take: move up to ARGV[1] jobs, first queue first, into the worker's processing list.
--
-- Why atomic: each job moves with LMOVE, so it is always in exactly one list; a worker
-- that dies holding it leaves it in its processing list, not lost (the lesson's BLPOP
-- lost it). A queue left with jobs keeps its marker set, so another blocked worker
-- wakes for them; an emptied queue's marker is cleared, unless it holds a due time.
--
-- KEYS[1]        the worker's processing list `queue:processing:<worker>`
-- KEYS[2..n+1]   the n queue lists `queue:<name>`, in the order they are served
-- KEYS[n+2..2n+1] their markers `queue:marker:<name>`, in the same order
-- ARGV[1]        how many jobs to take at most
-- Returns        the job JSON strings taken, in order
local processing = KEYS[1]
local count = tonumber(ARGV[1])
local queues = (#KEYS - 1) / 2

local taken = {}
for i = 2, queues + 1 do
  while #taken < count do
    local job = redis.call('LMOVE', KEYS[i], processing, 'LEFT', 'RIGHT')
    if not job then
      break
    end
    taken[#taken + 1] = job
  end
  local marker = KEYS[i + queues]
  if redis.call('LLEN', KEYS[i]) > 0 then
    redis.call('ZADD', marker, 'LT', 0, 'next')
  elseif redis.call('ZSCORE', marker, 'next') == '0' then
    redis.call('ZREM', marker, 'next')
  end
end
return taken
