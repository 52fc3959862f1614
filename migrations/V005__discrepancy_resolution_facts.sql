-- Resolving a discrepancy is part of the audit trail, and a resolved discrepancy is not raised again for the
-- same transaction and code while its facts stay the same. The facts are what a human judged: our status and
-- amount, the gateway's status word and amount.
ALTER TABLE payrecon.discrepancies ADD COLUMN facts text NOT NULL DEFAULT '';
UPDATE payrecon.discrepancies
   SET facts = concat_ws('|', local_status, coalesce(gateway_status, ''), local_amount_paise::text,
                         coalesce(gateway_amount_paise::text, ''));
CREATE INDEX discrepancies_history ON payrecon.discrepancies (transaction_id, code, id);

ALTER TABLE payrecon.transaction_events ADD COLUMN actor text, ADD COLUMN note text;
ALTER TABLE payrecon.transaction_events DROP CONSTRAINT transaction_events_event_type_check;
ALTER TABLE payrecon.transaction_events ADD CONSTRAINT transaction_events_event_type_check
  CHECK (event_type IN ('transition', 'discrepancy', 'resolution'));
ALTER TABLE payrecon.transaction_events DROP CONSTRAINT transaction_events_code;
ALTER TABLE payrecon.transaction_events ADD CONSTRAINT transaction_events_code
  CHECK ((event_type IN ('discrepancy', 'resolution')) = (discrepancy_code IS NOT NULL));
