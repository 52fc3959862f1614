-- The queue table at production size: the pending listing reads oldest first from its own partial index (kind
-- included, so counting pending rows by kind and age can read the index alone), and autovacuum / autoanalyze
-- act on a share of the rows that claims and applies churn through, not on 10-20% of a table that may hold
-- tens of millions of final rows.
CREATE INDEX transactions_pending_created ON payrecon.transactions (created_at, id) INCLUDE (kind)
  WHERE status IN ('CapturePending', 'Pending');

-- Every claim and apply rewrites a row (lease, then status and bookkeeping): vacuum after 1% of the table (or
-- 10,000 rows) has changed and analyse after 0.5% (or 5,000), so dead tuples and the pending index stay small and
-- statistics follow a backlog that is imported or drained within minutes. The cost limit lets one worker keep up
-- with a few thousand updates per second.
ALTER TABLE payrecon.transactions SET (
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_threshold = 10000,
  autovacuum_analyze_scale_factor = 0.005,
  autovacuum_analyze_threshold = 5000,
  autovacuum_vacuum_insert_scale_factor = 0.05,
  autovacuum_vacuum_insert_threshold = 10000,
  autovacuum_vacuum_cost_limit = 2000
);

-- Append-only tables are vacuumed for their visibility map (index-only scans) after 5% new rows.
ALTER TABLE payrecon.transaction_events SET (
  autovacuum_vacuum_insert_scale_factor = 0.05,
  autovacuum_analyze_scale_factor = 0.02
);
