-- Things a human must look at. Each (transaction, code) is open at most once; resolving it lets it be raised again.
CREATE TABLE payrecon.discrepancies (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id        bigint NOT NULL REFERENCES payrecon.transactions (id),
  code                  text NOT NULL CHECK (code IN ('AMOUNT_MISMATCH', 'CURRENCY_MISMATCH', 'NOT_FOUND',
                                                      'CHECK_FAILING', 'SIGNATURE_INVALID', 'STUCK_PENDING',
                                                      'STATUS_CONFLICT', 'UNKNOWN_STATUS', 'MERCHANT_CONFIG')),
  detail                text NOT NULL DEFAULT '',
  local_status          text NOT NULL,
  gateway_status        text,
  local_amount_paise    bigint NOT NULL,
  gateway_amount_paise  bigint,
  opened_at             timestamptz NOT NULL DEFAULT now(),
  opened_by_run         text NOT NULL,
  resolved_at           timestamptz,
  resolved_by           text,
  resolution_note       text,
  CONSTRAINT discrepancies_resolution CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);

CREATE UNIQUE INDEX discrepancies_open_once ON payrecon.discrepancies (transaction_id, code)
  WHERE resolved_at IS NULL;
CREATE INDEX discrepancies_open_by_code ON payrecon.discrepancies (code, opened_at)
  WHERE resolved_at IS NULL;
CREATE INDEX discrepancies_run ON payrecon.discrepancies (opened_by_run, id);

-- For operators: open discrepancies with their transaction, oldest first within a code.
CREATE VIEW payrecon.open_discrepancies AS
SELECT d.id, d.code, now() - d.opened_at AS age, d.opened_at, d.opened_by_run, t.kind, t.merchant_id,
       t.merchant_txn_id, t.amazon_txn_id, d.local_status, d.gateway_status, d.local_amount_paise,
       d.gateway_amount_paise, d.detail, d.transaction_id
FROM payrecon.discrepancies d
JOIN payrecon.transactions t ON t.id = d.transaction_id
WHERE d.resolved_at IS NULL;
