-- ack: record jobs as succeeded and drop them from the worker's processing list.
--
-- Why atomic: the job leaves the processing list in the same step that records its
-- outcome, so it is never both finished and still held, nor gone and unrecorded.
-- A job no longer in this worker's list was taken back from it: that outcome is stale
-- and is not recorded (fencing).
--
-- KEYS[1]     the worker's processing list `queue:processing:<worker>`
-- KEYS[2..n]  each job's state hash `queue:job:<id>`
-- ARGV[1]     seconds to keep a succeeded job's hash
-- ARGV[2..]   per job, five values: its JSON as taken, its attempt number, the
--             attempt's record (JSON), when it started and finished (unix seconds)
-- Returns     per job, 1 if recorded, 0 if stale
local processing = KEYS[1]
local keep_seconds = ARGV[1]

local recorded = {}
for i = 2, #KEYS do
  local at = 2 + (i - 2) * 5
  local job, attempt, record = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  local started_at, finished_at = ARGV[at + 3], ARGV[at + 4]
  recorded[i - 1] = redis.call('LREM', processing, 1, job)
  if recorded[i - 1] == 1 then
    redis.call('HSET', KEYS[i], 'state', 'succeeded', 'started_at', started_at,
      'finished_at', finished_at, 'attempt:' .. attempt, record)
    redis.call('EXPIRE', KEYS[i], keep_seconds)
  end
end
return recorded
