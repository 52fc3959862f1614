-- The audit trail: one row per status change (transition) and per newly opened discrepancy. Append-only.
CREATE TABLE payrecon.transaction_events (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id         bigint NOT NULL REFERENCES payrecon.transactions (id),
  run_id                 text,
  event_type             text NOT NULL CHECK (event_type IN ('transition', 'discrepancy')),
  from_status            text NOT NULL,
  to_status              text NOT NULL,
  discrepancy_code       text,
  amazon_txn_id          text,
  approved_amount_paise  bigint,
  gateway_updated_at     timestamptz,
  request_id             text,
  response_digest        text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT transaction_events_code CHECK ((event_type = 'discrepancy') = (discrepancy_code IS NOT NULL))
);

CREATE INDEX transaction_events_run ON payrecon.transaction_events (run_id, id);
CREATE INDEX transaction_events_transaction ON payrecon.transaction_events (transaction_id, id);

CREATE FUNCTION payrecon.transaction_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payrecon.transaction_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER transaction_events_append_only
  BEFORE UPDATE OR DELETE ON payrecon.transaction_events
  FOR EACH ROW EXECUTE FUNCTION payrecon.transaction_events_refuse_change();
CREATE TRIGGER transaction_events_no_truncate
  BEFORE TRUNCATE ON payrecon.transaction_events
  FOR EACH STATEMENT EXECUTE FUNCTION payrecon.transaction_events_refuse_change();
