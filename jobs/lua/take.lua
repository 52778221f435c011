-- take: move up to ARGV[1] jobs, first queue first, into the worker's processing list.
--
-- Why atomic: each job moves with LMOVE, so it is always in exactly one list; a worker
-- that dies holding it leaves it in its processing list, not lost (the lesson's BLPOP
-- lost it).
--
-- KEYS[1]     the worker's processing list `queue:processing:<worker>`
-- KEYS[2..n]  the queue lists `queue:<name>`, in the order they are served
-- ARGV[1]     how many jobs to take at most
-- ARGV[2]     the wake-up marker push leaves for blocked workers: dropped, not taken
-- Returns     the job JSON strings taken, in order
local processing = KEYS[1]
local count, wake_up = tonumber(ARGV[1]), ARGV[2]

local taken = {}
for i = 2, #KEYS do
  while #taken < count do
    local job = redis.call('LMOVE', KEYS[i], processing, 'LEFT', 'RIGHT')
    if not job then
      break
    end
    if job == wake_up then
      redis.call('RPOP', processing)
    else
      taken[#taken + 1] = job
    end
  end
  if #taken >= count then
    break
  end
end
return taken
