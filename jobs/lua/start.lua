-- start: mark taken jobs running and count the attempt.
--
-- Why atomic: the attempt is counted when the job is taken, before its handler runs,
-- so a job that crashes its worker uses up attempts like one that raises.
--
-- KEYS[1..n]  the jobs' state hashes `queue:job:<name>:<id>` (on a Redis Cluster, one
--             queue's jobs per call: jobs/keys.py, slot_groups)
-- ARGV[1]     now, unix seconds
-- ARGV[2]     the worker's id
-- ARGV[3..]   each job's `attempts` as written in its JSON (used when its hash is gone)
-- Returns     the attempt number each job is now on
local now, worker = ARGV[1], ARGV[2]

local attempts = {}
for i, job_hash in ipairs(KEYS) do
  redis.call('HSETNX', job_hash, 'attempts', ARGV[i + 2])
  attempts[i] = redis.call('HINCRBY', job_hash, 'attempts', 1)
  redis.call('HSET', job_hash, 'state', 'running', 'started_at', now, 'worker', worker)
  redis.call('HDEL', job_hash, 'due_at')
end
return attempts
