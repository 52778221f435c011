-- migrate_delayed: move due delayed jobs to the end of their own queue.
--
-- Why atomic: ZRANGEBYSCORE, RPUSH and ZREM in one step, so two workers migrating at
-- once never both move a job, and a crash between the moves cannot lose or copy one.
-- The lesson pushed every job to `default`; here each goes to the queue in its JSON.
--
-- KEYS[1]     the delayed zset `queue:delayed`
-- KEYS[2]     the failed list `queue:failed` (for an entry that is not a job)
-- KEYS[3..n]  the queue lists this caller serves, `queue:<name>`
-- ARGV[1]     now, unix seconds: jobs scored at or before it are due
-- ARGV[2]     at most this many due entries are looked at in one call
-- ARGV[3..n]  the queue names, in the same order as KEYS[3..n]
-- Returns     {moved, next due time as a string or false}; a due job of a queue this
--             caller does not serve stays for a worker that serves it.
local delayed, failed = KEYS[1], KEYS[2]
local now, limit = ARGV[1], tonumber(ARGV[2])

local queue_key = {}
for i = 3, #ARGV do
  queue_key[ARGV[i]] = KEYS[i]
end

local moved = 0
local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, limit)
for _, job in ipairs(due) do
  local ok, decoded = pcall(cjson.decode, job)
  if not ok or type(decoded) ~= 'table' then
    redis.call('RPUSH', failed, cjson.encode({raw = job, error = 'Malformed job: not JSON', failed_at = tonumber(now)}))
    redis.call('ZREM', delayed, job)
  elseif queue_key[decoded.queue] then
    redis.call('RPUSH', queue_key[decoded.queue], job)
    redis.call('ZREM', delayed, job)
    moved = moved + 1
  end
end

local next_due = redis.call('ZRANGEBYSCORE', delayed, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return {moved, next_due[2] or false}
