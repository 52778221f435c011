-- migrate_delayed: move due delayed jobs to the end of their own queue.
--
-- Why atomic: ZRANGEBYSCORE, RPUSH and ZREM in one step, so two workers migrating at
-- once never both move a job, and a crash between the moves cannot lose or copy one.
-- The lesson pushed every job to `default`; here each goes to the queue in its JSON.
--
-- KEYS[1]     the delayed zset `queue:delayed`
-- KEYS[2]     the failed list `queue:failed` (for an entry that is not a job)
-- KEYS[3..q+2]     the q queue lists this caller serves, `queue:<name>`
-- KEYS[q+3..2q+2]  their markers `queue:marker:<name>`, set when a job moves onto a queue
-- ARGV[1]          now, unix seconds: jobs scored at or before it are due
-- ARGV[2]          at most this many jobs are moved in one call
-- ARGV[3..q+2]     the queue names, in the same order as KEYS[3..q+2]
-- Returns     {moved, next due time as a string or false}. A due job of a queue this
--             caller does not serve stays for a worker that serves it; at most twice
--             ARGV[2] such jobs are stepped over, to bound the time Redis is blocked.
local delayed, failed = KEYS[1], KEYS[2]
local now, limit = ARGV[1], tonumber(ARGV[2])

local queues = #ARGV - 2
local queue_key, marker_key = {}, {}
for i = 3, #ARGV do
  queue_key[ARGV[i]] = KEYS[i]
  marker_key[ARGV[i]] = KEYS[i + queues]
end

local function is_job(decoded)
  return type(decoded) == 'table' and type(decoded.queue) == 'string' and type(decoded.id) == 'string'
end

local moved, skipped = 0, 0
while moved < limit and skipped < limit * 2 do
  local page = math.min(100, limit - moved)
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', skipped, page)
  if #due == 0 then
    break
  end
  for _, job in ipairs(due) do
    local ok, decoded = pcall(cjson.decode, job)
    if not ok or not is_job(decoded) then
      local entry = {raw = job, error = 'Malformed job: not a job object', failed_at = tonumber(now)}
      redis.call('RPUSH', failed, cjson.encode(entry))
      redis.call('ZREM', delayed, job)
    elseif queue_key[decoded.queue] then
      redis.call('RPUSH', queue_key[decoded.queue], job)
      redis.call('ZADD', marker_key[decoded.queue], 'LT', 0, 'next')
      redis.call('ZREM', delayed, job)
      moved = moved + 1
    else
      skipped = skipped + 1
    end
  end
end

local next_due = redis.call('ZRANGEBYSCORE', delayed, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return {moved, next_due[2] or false}
