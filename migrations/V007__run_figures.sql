-- What each run found, for reports/index.html's charts across runs: for `run` and `backfill` the figures at its end
-- (checks, failures, p99 latency, the pending backlog by age with amounts in paise, open discrepancies by code);
-- for `check` (one transaction checked on demand) the check's result. Modes are now a closed list.
ALTER TABLE payrecon.runs ADD COLUMN figures jsonb NOT NULL DEFAULT '{}';
ALTER TABLE payrecon.runs ADD CONSTRAINT runs_mode CHECK (mode IN ('run', 'backfill', 'check'));
CREATE INDEX runs_check_transaction ON payrecon.runs (((arguments ->> 'transaction_id')::bigint), started_at)
  WHERE mode = 'check';
