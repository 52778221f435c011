-- ack: record jobs as succeeded and drop them from the worker's processing list.
--
-- Why atomic: the job leaves the processing list in the same step that records its
-- outcome, so it is never both finished and still held, nor gone and unrecorded.
-- A job no longer in this worker's list was taken back from it: that outcome is stale
-- and is not recorded (fencing). The dashboard's counters move in the same step.
--
-- KEYS[1]     the worker's processing list `queue:processing:<name>:<worker>`
-- KEYS[2]     this minute's counter `queue:stats:<name>:processed:<minute>`
-- KEYS[3]     the per-handler counters `queue:stats:<name>:handlers`
-- KEYS[4..n]  each job's state hash `queue:job:<name>:<id>`
-- ARGV[1]     seconds to keep a succeeded job's hash
-- ARGV[2]     seconds to keep the minute's counter
-- ARGV[3..]   per job, six values: its JSON as taken, the attempt's history entry
--             (JSON, the hash's next `run:<n>` field), when it started and finished (unix
--             seconds), its handler, and its duration's histogram bucket
-- Returns     per job, 1 if recorded, 0 if stale
local processing, minute, handlers = KEYS[1], KEYS[2], KEYS[3]
local keep_seconds, keep_counter_seconds = ARGV[1], ARGV[2]

local recorded, count = {}, 0
for i = 4, #KEYS do
  local at = 3 + (i - 4) * 6
  local job, history_entry = ARGV[at], ARGV[at + 1]
  local started_at, finished_at = ARGV[at + 2], ARGV[at + 3]
  local handler, bucket = ARGV[at + 4], ARGV[at + 5]
  recorded[i - 3] = redis.call('LREM', processing, 1, job)
  if recorded[i - 3] == 1 then
    local run = redis.call('HINCRBY', KEYS[i], 'runs', 1)
    redis.call('HSET', KEYS[i], 'state', 'succeeded', 'started_at', started_at,
      'finished_at', finished_at, 'run:' .. run, history_entry)
    redis.call('EXPIRE', KEYS[i], keep_seconds)
    redis.call('HINCRBY', handlers, handler .. ':processed', 1)
    redis.call('HINCRBY', handlers, handler .. ':le:' .. bucket, 1)
    redis.call('HINCRBYFLOAT', handlers, handler .. ':seconds', finished_at - started_at)
    count = count + 1
  end
end
if count > 0 then
  redis.call('INCRBY', minute, count)
  redis.call('EXPIRE', minute, keep_counter_seconds)
end
return recorded
