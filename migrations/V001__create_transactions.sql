-- Transactions handed over by the payment service (or `payrecon import`): one row per charge, refund or top-up.
-- Statuses are the gateway's words; pending ones (CapturePending, Pending) are checked when due.
CREATE SCHEMA IF NOT EXISTS payrecon;

CREATE TABLE payrecon.transactions (
  id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind                    text NOT NULL CHECK (kind IN ('charge', 'refund', 'topup')),
  merchant_id             text NOT NULL CHECK (merchant_id <> '' AND length(merchant_id) <= 64),
  merchant_txn_id         text NOT NULL CHECK (merchant_txn_id <> '' AND length(merchant_txn_id) <= 128),
  amazon_txn_id           text CHECK (amazon_txn_id <> '' AND length(amazon_txn_id) <= 128),
  parent_merchant_txn_id  text CHECK (parent_merchant_txn_id <> '' AND length(parent_merchant_txn_id) <= 128),
  amount_paise            bigint NOT NULL CHECK (amount_paise >= 0),
  currency                text NOT NULL DEFAULT 'INR' CHECK (currency ~ '^[A-Z]{3}$'),
  status                  text NOT NULL,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  -- Bookkeeping, written by payrecon.
  next_check_at           timestamptz NOT NULL DEFAULT now(),
  check_count             integer NOT NULL DEFAULT 0 CHECK (check_count >= 0),
  error_count             integer NOT NULL DEFAULT 0 CHECK (error_count >= 0),
  lease_run_id            text,
  lease_until             timestamptz,
  last_error              text,
  approved_amount_paise   bigint CHECK (approved_amount_paise >= 0),
  gateway_updated_at      timestamptz,
  needs_review            boolean NOT NULL DEFAULT false,
  CONSTRAINT transactions_key UNIQUE (merchant_id, kind, merchant_txn_id),
  CONSTRAINT transactions_status_of_kind CHECK (
    (kind = 'refund' AND status IN ('Pending', 'Approved', 'Declined')) OR
    (kind IN ('charge', 'topup') AND status IN ('CapturePending', 'CaptureApproved', 'Failed'))),
  CONSTRAINT transactions_refund_parent CHECK ((kind = 'refund') = (parent_merchant_txn_id IS NOT NULL)),
  CONSTRAINT transactions_lease CHECK ((lease_run_id IS NULL) = (lease_until IS NULL))
)
-- Free space on each page lets a claim (lease columns only, none indexed) update in place (HOT) instead of
-- adding an entry to every index.
WITH (fillfactor = 80);

-- Claims read pending rows in next_check_at order; the partial index keeps that cheap as final rows pile up.
CREATE INDEX transactions_due ON payrecon.transactions (next_check_at)
  WHERE status IN ('CapturePending', 'Pending');
-- Backfill windows and the pending listing.
CREATE INDEX transactions_created ON payrecon.transactions (created_at, id);

-- A final status is never overwritten, whoever runs the UPDATE.
CREATE FUNCTION payrecon.transactions_refuse_final_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transaction % has final status "%": refusing to change it to "%"', OLD.id, OLD.status, NEW.status
    USING ERRCODE = 'check_violation';
END
$$;

CREATE TRIGGER transactions_keep_final
  BEFORE UPDATE OF status ON payrecon.transactions
  FOR EACH ROW
  WHEN (OLD.status NOT IN ('CapturePending', 'Pending') AND NEW.status IS DISTINCT FROM OLD.status)
  EXECUTE FUNCTION payrecon.transactions_refuse_final_change();
