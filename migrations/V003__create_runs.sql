-- One row per run of the job, and the failed checks of each run (so `report --run` can rewrite errors.csv).
CREATE TABLE payrecon.runs (
  id               text PRIMARY KEY CHECK (id <> '' AND length(id) <= 64),
  mode             text NOT NULL,
  arguments        jsonb NOT NULL DEFAULT '{}',
  started_at       timestamptz NOT NULL,
  finished_at      timestamptz,
  counts           jsonb NOT NULL DEFAULT '{}',
  outcome          text,
  exit_code        integer,
  host             text NOT NULL DEFAULT '',
  dry_run          boolean NOT NULL DEFAULT false,
  resume_after_id  bigint NOT NULL DEFAULT 0
);

CREATE INDEX runs_started ON payrecon.runs (started_at);

CREATE TABLE payrecon.run_errors (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id          text NOT NULL,
  transaction_id  bigint NOT NULL REFERENCES payrecon.transactions (id),
  error_class     text NOT NULL CHECK (error_class IN ('TIMEOUT', 'NETWORK', 'HTTP_5XX', 'RATE_LIMITED', 'AUTH',
                                                       'MALFORMED', 'BAD_SIGNATURE', 'INVALID_REQUEST')),
  http_status     integer,
  gateway_code    text,
  message         text NOT NULL DEFAULT '',
  attempts        integer NOT NULL DEFAULT 0,
  next_check_at   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX run_errors_run ON payrecon.run_errors (run_id, id);
