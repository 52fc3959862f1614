#include "db/sql.h"

// Milliseconds since the epoch <-> timestamptz. to_timestamp rounds to microseconds, so milliseconds survive.
#define PR_MS(x) "floor(extract(epoch from " x ") * 1000)::bigint"
#define PR_TS(x) "to_timestamp(" x "::bigint / 1000.0)"
#define PR_PENDING "('CapturePending', 'Pending')"
// The facts of the latest discrepancy r of a (transaction, code), or NULL when it was resolved at least
// d.repeat_ms before $2 (now): then the same facts raise it again.
#define PR_LATEST_FACTS                                                                                       \
  "CASE WHEN r.resolved_at IS NOT NULL AND d.repeat_ms IS NOT NULL"                                           \
  " AND r.resolved_at <= " PR_TS("$2") " - d.repeat_ms * interval '1 millisecond' THEN NULL ELSE r.facts END"

// The columns of core::Transaction, in the order pg_store.cpp reads them.
#define PR_TRANSACTION_COLUMNS                                                                              \
  "t.id, t.kind, t.merchant_id, t.merchant_txn_id, coalesce(t.amazon_txn_id, ''), "                         \
  "coalesce(t.parent_merchant_txn_id, ''), t.amount_paise, t.currency, t.status, " PR_MS("t.created_at") ", " \
  PR_MS("t.updated_at") ", " PR_MS("t.next_check_at") ", t.check_count, t.error_count, "                    \
  "t.approved_amount_paise, " PR_MS("t.gateway_updated_at") ", coalesce(t.last_error, ''), t.needs_review"

// The columns of DiscrepancyRow.
#define PR_DISCREPANCY_COLUMNS                                                                                   \
  "d.id, d.transaction_id, t.kind, t.merchant_id, t.merchant_txn_id, coalesce(t.amazon_txn_id, ''), d.code, "   \
  "d.detail, d.local_status, coalesce(d.gateway_status, ''), d.local_amount_paise, d.gateway_amount_paise, "    \
  PR_MS("d.opened_at") ", d.opened_by_run, " PR_MS("d.resolved_at") ", coalesce(d.resolved_by, ''), "            \
  "coalesce(d.resolution_note, '')"

namespace payrecon::db::sql {

const char* const kSchemaStatusExists = "SELECT to_regclass('payrecon.schema_migrations') IS NOT NULL";
const char* const kSchemaStatusVersion = "SELECT coalesce(max(version), 0) FROM payrecon.schema_migrations";
// 0x70617972 is "payr": one lock for every payrecon migrator on this database.
const char* const kMigrateLock = "SELECT pg_advisory_xact_lock(1885436274)";
const char* const kMigrateBootstrap =
    "CREATE SCHEMA IF NOT EXISTS payrecon;"
    "CREATE TABLE IF NOT EXISTS payrecon.schema_migrations ("
    "  version integer PRIMARY KEY,"
    "  name text NOT NULL,"
    "  checksum text NOT NULL,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";
const char* const kMigrateRecorded =
    "SELECT name, checksum = md5($2) FROM payrecon.schema_migrations WHERE version = $1::integer";
const char* const kMigrateRecord =
    "INSERT INTO payrecon.schema_migrations (version, name, checksum) VALUES ($1::integer, $2, md5($3))";

// $1 run_id, $2 now, $3 lease_until, $4 limit. ARRAY(...) evaluates the locking subquery exactly once.
const char* const kTransactionsClaimDue =
    "UPDATE payrecon.transactions t SET lease_run_id = $1, lease_until = " PR_TS("$3")
    " WHERE t.id = ANY(ARRAY("
    "  SELECT c.id FROM payrecon.transactions c"
    "  WHERE c.status IN " PR_PENDING " AND c.next_check_at <= " PR_TS("$2")
    "    AND (c.lease_until IS NULL OR c.lease_until < " PR_TS("$2") ")"
    "  ORDER BY c.next_check_at LIMIT $4 FOR UPDATE SKIP LOCKED))"
    " RETURNING " PR_TRANSACTION_COLUMNS;

// $1 now, $2 limit.
const char* const kTransactionsListDue =
    "SELECT " PR_TRANSACTION_COLUMNS " FROM payrecon.transactions t"
    " WHERE t.status IN " PR_PENDING " AND t.next_check_at <= " PR_TS("$1")
    "   AND (t.lease_until IS NULL OR t.lease_until < " PR_TS("$1") ")"
    " ORDER BY t.next_check_at, t.id LIMIT $2";

// $1 run_id, $2 now, $3 lease_until, $4 limit, $5 created_from, $6 created_to, $7 kind or NULL,
// $8 merchant_id or NULL, $9 after_id, $10 only these ids or NULL. The run's own live leases count as free:
// `--resume` after a crash.
const char* const kTransactionsClaimWindow =
    "UPDATE payrecon.transactions t SET lease_run_id = $1, lease_until = " PR_TS("$3")
    " WHERE t.id = ANY(ARRAY("
    "  SELECT c.id FROM payrecon.transactions c"
    "  WHERE c.created_at >= " PR_TS("$5") " AND c.created_at < " PR_TS("$6") " AND c.id > $9::bigint"
    "    AND ($7::text IS NULL OR c.kind = $7::text) AND ($8::text IS NULL OR c.merchant_id = $8::text)"
    "    AND (c.lease_until IS NULL OR c.lease_until < " PR_TS("$2") " OR c.lease_run_id = $1)"
    "    AND ($10::bigint[] IS NULL OR c.id = ANY($10::bigint[]))"
    "  ORDER BY c.id LIMIT $4 FOR UPDATE SKIP LOCKED))"
    " RETURNING " PR_TRANSACTION_COLUMNS;

// $1 run_id, $2 now, $3 limit, $4 created_from, $5 created_to, $6 kind or NULL, $7 merchant_id or NULL,
// $8 after_id.
const char* const kTransactionsListWindow =
    "SELECT " PR_TRANSACTION_COLUMNS " FROM payrecon.transactions t"
    " WHERE t.created_at >= " PR_TS("$4") " AND t.created_at < " PR_TS("$5") " AND t.id > $8::bigint"
    "   AND ($6::text IS NULL OR t.kind = $6::text) AND ($7::text IS NULL OR t.merchant_id = $7::text)"
    "   AND (t.lease_until IS NULL OR t.lease_until < " PR_TS("$2") " OR t.lease_run_id = $1)"
    " ORDER BY t.id LIMIT $3";

// The parts of kTransactionsApply and kTransactionsApplyPlain. Per update: $3 id, $4 expected_status, $5 new_status
// or NULL, $6 next_check_at, $7 check_count, $8 error_count, $9 last_error or NULL, $10 amazon_txn_id or NULL (keep),
// $11 approved amount or NULL (keep), $12 gateway_updated_at or NULL (keep), $13 request_id, $14 response_digest.
#define PR_APPLY_ARRAYS                                                                                  \
  "$3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::integer[], $8::integer[], $9::text[], $10::text[]," \
  " $11::bigint[], $12::bigint[], $13::text[], $14::text[]"
#define PR_APPLY_COLUMNS                                                                                       \
  "id, expected, new_status, next_check_ms, check_count, error_count, last_error, amazon_txn_id, approved," \
  " gateway_updated_ms, request_id, response_digest"
// The UPDATE's assignments up to needs_review, which only the full statement may change.
#define PR_APPLY_SET                                                                                 \
  "  UPDATE payrecon.transactions t SET"                                                             \
  "    status = coalesce(u.new_status, t.status),"                                                   \
  "    next_check_at = " PR_TS("u.next_check_ms") ","                                                \
  "    check_count = u.check_count,"                                                                 \
  "    error_count = u.error_count,"                                                                 \
  "    last_error = u.last_error,"                                                                   \
  "    amazon_txn_id = coalesce(u.amazon_txn_id, t.amazon_txn_id),"                                  \
  "    approved_amount_paise = coalesce(u.approved, t.approved_amount_paise),"                       \
  "    gateway_updated_at = coalesce(" PR_TS("u.gateway_updated_ms") ", t.gateway_updated_at),"
// The rest of the UPDATE (the compare-and-set) and the transition events. The events take their ids in the order
// of the updates: the order in which a live run wrote their rows into transitions.csv as the apply committed, and
// in which `report --run` reads them back (by id).
#define PR_APPLY_WHERE_AND_TRANSITIONS                                                                      \
  "    updated_at = " PR_TS("$2") ","                                                                       \
  "    lease_run_id = NULL,"                                                                                \
  "    lease_until = NULL"                                                                                  \
  "  FROM u"                                                                                                \
  "  WHERE t.id = u.id AND t.status = u.expected AND t.lease_run_id = $1"                                   \
  "    AND (u.new_status IS NULL"                                                                           \
  "         OR (u.expected IN " PR_PENDING                                                                  \
  "             AND CASE WHEN t.kind = 'refund' THEN u.new_status IN ('Pending', 'Approved', 'Declined')"   \
  "                      ELSE u.new_status IN ('CapturePending', 'CaptureApproved', 'Failed') END))"        \
  "  RETURNING t.id, u.expected AS from_status, t.status AS to_status, t.amount_paise, t.amazon_txn_id,"    \
  "            t.approved_amount_paise, t.gateway_updated_at, u.request_id, u.response_digest, u.ord"       \
  "), transition AS ("                                                                                      \
  "  INSERT INTO payrecon.transaction_events (transaction_id, run_id, event_type, from_status, to_status,"  \
  "    amazon_txn_id, approved_amount_paise, gateway_updated_at, request_id, response_digest, created_at)"  \
  "  SELECT id, $1, 'transition', from_status, to_status, amazon_txn_id, approved_amount_paise,"            \
  "         gateway_updated_at, request_id, response_digest, " PR_TS("$2")                                  \
  "  FROM upd WHERE to_status <> from_status ORDER BY ord"
// An update this run already applied with this `now` (a retry whose first reply was lost: the snapshot shows the
// first attempt's bookkeeping and, for a transition, its event) counts as applied, not as a conflict. The event is
// looked up per row, by transaction, and only for rows the join's filters kept (none, unless this is a retry): as
// an EXISTS the planner may hash every transition event of the run instead, on every apply, which grows with the
// run (40 ms per apply after 44,000 transitions).
#define PR_APPLY_AGAIN                                                                                   \
  "), again AS ("                                                                                        \
  "  SELECT u.id FROM u JOIN payrecon.transactions t ON t.id = u.id"                                     \
  "  LEFT JOIN LATERAL (SELECT true AS found FROM payrecon.transaction_events e"                          \
  "    WHERE e.transaction_id = t.id AND e.run_id = $1 AND e.event_type = 'transition'"                  \
  "      AND e.to_status = u.new_status AND e.request_id = u.request_id LIMIT 1) ev ON true"             \
  "  WHERE (SELECT count(*) FROM upd) < (SELECT count(*) FROM u)"                                        \
  "    AND t.lease_run_id IS NULL AND t.updated_at = " PR_TS("$2") " AND t.check_count = u.check_count"   \
  "    AND t.status = coalesce(u.new_status, u.expected)"                                                \
  "    AND (u.new_status IS NULL OR u.new_status = u.expected OR ev.found)"                              \
  ")"

// $1 run_id, $2 now; per update $3-$14 (PR_APPLY_ARRAYS), $15 has discrepancies; per discrepancy $16 transaction id,
// $17 code, $18 detail, $19 gateway_status or NULL, $20 gateway amount or NULL, $21 repeat_after in ms or NULL.
// Result rows: ('a', id) per applied update, ('d', id, code) per newly opened discrepancy.
const char* const kTransactionsApply =
    "WITH u AS ("
    "  SELECT * FROM unnest(" PR_APPLY_ARRAYS ", $15::boolean[]) WITH ORDINALITY"
    "    AS u(" PR_APPLY_COLUMNS ", has_discrepancy, ord)"
    "), d AS ("
    "  SELECT * FROM unnest($16::bigint[], $17::text[], $18::text[], $19::text[], $20::bigint[],"
    "                       $21::bigint[])"
    "    AS d(id, code, detail, gateway_status, gateway_amount, repeat_ms)"
    "), upd AS ("
    PR_APPLY_SET
    // Review is needed when one of the update's discrepancies is (or stays) open: the same test as `opened`.
    "    needs_review = t.needs_review OR (u.has_discrepancy AND EXISTS (SELECT 1 FROM d WHERE d.id = t.id AND ("
    "      concat_ws('|', coalesce(u.new_status, t.status), coalesce(d.gateway_status, ''), t.amount_paise::text,"
    "                coalesce(d.gateway_amount::text, '')) IS DISTINCT FROM (SELECT " PR_LATEST_FACTS
    "        FROM payrecon.discrepancies r WHERE r.transaction_id = t.id AND r.code = d.code"
    "        ORDER BY r.id DESC LIMIT 1)"
    "      OR EXISTS (SELECT 1 FROM payrecon.discrepancies r WHERE r.transaction_id = t.id AND r.code = d.code"
    "        AND r.resolved_at IS NULL)))),"
    PR_APPLY_WHERE_AND_TRANSITIONS
    "), opened AS ("
    "  INSERT INTO payrecon.discrepancies (transaction_id, code, detail, local_status, gateway_status,"
    "    local_amount_paise, gateway_amount_paise, opened_at, opened_by_run, facts)"
    "  SELECT d.id, d.code, d.detail, upd.to_status, d.gateway_status, upd.amount_paise, d.gateway_amount, "
    PR_TS("$2") ", $1, f.facts"
    "  FROM d JOIN upd ON upd.id = d.id"
    "  CROSS JOIN LATERAL (SELECT concat_ws('|', upd.to_status, coalesce(d.gateway_status, ''),"
    "    upd.amount_paise::text, coalesce(d.gateway_amount::text, '')) AS facts) f"
    // Not again while the latest one for this (transaction, code), open or resolved, has the same facts.
    "  WHERE f.facts IS DISTINCT FROM (SELECT " PR_LATEST_FACTS " FROM payrecon.discrepancies r"
    "    WHERE r.transaction_id = d.id AND r.code = d.code ORDER BY r.id DESC LIMIT 1)"
    "  ON CONFLICT (transaction_id, code) WHERE resolved_at IS NULL DO NOTHING"
    "  RETURNING transaction_id, code, local_status"
    "), opened_event AS ("
    "  INSERT INTO payrecon.transaction_events (transaction_id, run_id, event_type, from_status, to_status,"
    "    discrepancy_code, request_id, response_digest, created_at)"
    "  SELECT o.transaction_id, $1, 'discrepancy', o.local_status, o.local_status, o.code, upd.request_id,"
    "         upd.response_digest, " PR_TS("$2")
    // Planned as a nested loop over upd when few discrepancies are expected, as a hash join when many are (2,000
    // per 1,000 updates). Measured: at 250 per 1,000, carrying the request in the discrepancy row instead (no
    // join) changed the run's throughput by less than the noise of paired runs.
    "  FROM opened o JOIN upd ON upd.id = o.transaction_id"
    PR_APPLY_AGAIN
    " SELECT 'a', id, NULL FROM upd"
    " UNION ALL SELECT 'a', id, NULL FROM again"
    " UNION ALL SELECT 'd', transaction_id, code FROM opened";

// kTransactionsApply for a batch that raises no discrepancy (the common case): the same updates, events and
// answers without the discrepancy parts, and needs_review left as it is. Its joins are index lookups per update
// whatever the batch's size, so it is prepared once per connection and run with its generic plan
// (PgStore::TransactionsApply): planning the full statement for each batch cost about a fifth of the apply.
// $1 run_id, $2 now; per update $3-$14 (PR_APPLY_ARRAYS).
const char* const kTransactionsApplyPlain =
    "WITH u AS ("
    "  SELECT * FROM unnest(" PR_APPLY_ARRAYS ") WITH ORDINALITY AS u(" PR_APPLY_COLUMNS ", ord)"
    "), upd AS ("
    PR_APPLY_SET
    PR_APPLY_WHERE_AND_TRANSITIONS
    PR_APPLY_AGAIN
    " SELECT 'a', id, NULL FROM upd"
    " UNION ALL SELECT 'a', id, NULL FROM again";

// $1 run_id, $2 ids.
const char* const kLeasesRelease =
    "UPDATE payrecon.transactions SET lease_run_id = NULL, lease_until = NULL"
    " WHERE id = ANY($2::bigint[]) AND lease_run_id = $1";

// $1 kind or NULL, $2 created before (ms), $3 limit or NULL (all). The order and predicate are those of the
// transactions_pending_created index.
const char* const kTransactionsForEachPending =
    "SELECT " PR_TRANSACTION_COLUMNS " FROM payrecon.transactions t"
    " WHERE t.status IN " PR_PENDING " AND t.created_at < " PR_TS("$2")
    "   AND ($1::text IS NULL OR t.kind = $1::text)"
    " ORDER BY t.created_at, t.id LIMIT $3::bigint";

// $1 created_from, $2 created_to, $3 kind or NULL, $4 merchant_id or NULL, $5 after_id. For backfill's progress line.
const char* const kTransactionsCountWindow =
    "SELECT count(*) FROM payrecon.transactions t"
    " WHERE t.created_at >= " PR_TS("$1") " AND t.created_at < " PR_TS("$2") " AND t.id > $5::bigint"
    "   AND ($3::text IS NULL OR t.kind = $3::text) AND ($4::text IS NULL OR t.merchant_id = $4::text)";

const char* const kTransactionsCountPending =
    "SELECT count(*) FROM payrecon.transactions WHERE status IN " PR_PENDING;

const char* const kTransactionGet =
    "SELECT " PR_TRANSACTION_COLUMNS " FROM payrecon.transactions t WHERE t.id = $1::bigint";

const char* const kTransactionFind =
    "SELECT " PR_TRANSACTION_COLUMNS " FROM payrecon.transactions t"
    " WHERE t.merchant_id = $1 AND t.kind = $2 AND t.merchant_txn_id = $3";

const char* const kRunStart =
    "INSERT INTO payrecon.runs (id, mode, arguments, started_at, host, dry_run)"
    " VALUES ($1, $2, $3::jsonb, " PR_TS("$4") ", $5, $6::boolean)";

const char* const kRunFinish =
    "UPDATE payrecon.runs SET finished_at = " PR_TS("$2") ", counts = $3::jsonb, outcome = $4,"
    " exit_code = $5::integer WHERE id = $1";

const char* const kRunCheckpoint =
    "UPDATE payrecon.runs SET resume_after_id = $2::bigint, counts = $3::jsonb WHERE id = $1";

const char* const kRunGet =
    "SELECT id, mode, arguments::text, " PR_MS("started_at") ", " PR_MS("finished_at") ", counts::text,"
    " coalesce(outcome, ''), exit_code, host, dry_run, resume_after_id FROM payrecon.runs WHERE id = $1";

// $1 run_id; per error $2 transaction_id, $3 class, $4 http status (0 = none), $5 gateway code, $6 message,
// $7 attempts, $8 next_check_at or NULL, $9 at.
const char* const kRunErrorsRecord =
    "INSERT INTO payrecon.run_errors (run_id, transaction_id, error_class, http_status, gateway_code, message,"
    "  attempts, next_check_at, created_at)"
    " SELECT $1, e.transaction_id, e.error_class, nullif(e.http_status, 0), nullif(e.gateway_code, ''), e.message,"
    "        e.attempts, " PR_TS("e.next_check_ms") ", " PR_TS("e.at_ms")
    " FROM unnest($2::bigint[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::integer[], $8::bigint[],"
    "             $9::bigint[])"
    "   AS e(transaction_id, error_class, http_status, gateway_code, message, attempts, next_check_ms, at_ms)";

const char* const kRunTransitionsForEach =
    "SELECT e.transaction_id, t.kind, t.merchant_id, t.merchant_txn_id,"
    " coalesce(e.amazon_txn_id, t.amazon_txn_id, ''), e.from_status, e.to_status, t.amount_paise,"
    " e.approved_amount_paise, " PR_MS("e.gateway_updated_at") ", " PR_MS("e.created_at") ","
    " coalesce(e.request_id, ''), coalesce(e.response_digest, '')"
    " FROM payrecon.transaction_events e JOIN payrecon.transactions t ON t.id = e.transaction_id"
    " WHERE e.run_id = $1 AND e.event_type = 'transition' ORDER BY e.id";

// Served by transaction_events_run (run_id, id).
const char* const kRunTransitionsCount =
    "SELECT count(*) FROM payrecon.transaction_events e WHERE e.run_id = $1 AND e.event_type = 'transition'";

const char* const kRunDiscrepanciesForEach =
    "SELECT " PR_DISCREPANCY_COLUMNS
    " FROM payrecon.discrepancies d JOIN payrecon.transactions t ON t.id = d.transaction_id"
    " WHERE d.opened_by_run = $1 ORDER BY d.id";

const char* const kRunErrorsForEach =
    "SELECT t.kind, t.merchant_id, t.merchant_txn_id, e.transaction_id, e.error_class, coalesce(e.http_status, 0),"
    " coalesce(e.gateway_code, ''), e.message, e.attempts, " PR_MS("e.next_check_at") ", " PR_MS("e.created_at")
    " FROM payrecon.run_errors e JOIN payrecon.transactions t ON t.id = e.transaction_id"
    " WHERE e.run_id = $1 ORDER BY e.id";

// $1 code or NULL, $2 opened before or NULL, $3 limit.
const char* const kDiscrepanciesListOpen =
    "SELECT " PR_DISCREPANCY_COLUMNS
    " FROM payrecon.discrepancies d JOIN payrecon.transactions t ON t.id = d.transaction_id"
    " WHERE d.resolved_at IS NULL AND ($1::text IS NULL OR d.code = $1::text)"
    "   AND ($2::bigint IS NULL OR d.opened_at < " PR_TS("$2") ")"
    " ORDER BY d.opened_at, d.id LIMIT $3";

// $1 code or NULL, $2 limit. Open and resolved, newest first: ids grow as discrepancies are raised, and the
// primary key serves the order.
const char* const kDiscrepanciesListAll =
    "SELECT " PR_DISCREPANCY_COLUMNS
    " FROM payrecon.discrepancies d JOIN payrecon.transactions t ON t.id = d.transaction_id"
    " WHERE ($1::text IS NULL OR d.code = $1::text)"
    " ORDER BY d.id DESC LIMIT $2";

const char* const kDiscrepancyGet =
    "SELECT " PR_DISCREPANCY_COLUMNS
    " FROM payrecon.discrepancies d JOIN payrecon.transactions t ON t.id = d.transaction_id"
    " WHERE d.id = $1::bigint";

// $1 discrepancy id, $2 now, $3 resolved_by, $4 note. The EXISTS sees the snapshot before the CTE's update,
// hence `d.id <> $1`.
const char* const kDiscrepancyResolve =
    "WITH r AS ("
    "  UPDATE payrecon.discrepancies SET resolved_at = " PR_TS("$2") ", resolved_by = $3, resolution_note = $4"
    "  WHERE id = $1::bigint AND resolved_at IS NULL RETURNING transaction_id, code"
    "), ev AS ("
    "  INSERT INTO payrecon.transaction_events (transaction_id, event_type, from_status, to_status,"
    "    discrepancy_code, actor, note, created_at)"
    "  SELECT r.transaction_id, 'resolution', t.status, t.status, r.code, $3, $4, " PR_TS("$2")
    "  FROM r JOIN payrecon.transactions t ON t.id = r.transaction_id"
    ")"
    " UPDATE payrecon.transactions t SET needs_review = EXISTS ("
    "   SELECT 1 FROM payrecon.discrepancies d"
    "   WHERE d.transaction_id = t.id AND d.resolved_at IS NULL AND d.id <> $1::bigint)"
    " FROM r WHERE t.id = r.transaction_id RETURNING t.id";

// Served by the partial index discrepancies_open_by_code (code, opened_at).
const char* const kDiscrepanciesCountOpen =
    "SELECT code, count(*), min(" PR_MS("opened_at") ") FROM payrecon.discrepancies WHERE resolved_at IS NULL"
    " GROUP BY code ORDER BY code";

// $1 now (ms), $2 ascending age bounds in ms as a bigint array. width_bucket gives 0 below the first bound and i
// for [bound i, bound i+1).
const char* const kTransactionsPendingAges =
    "SELECT kind, width_bucket($1::bigint - " PR_MS("created_at") ", $2::bigint[]) AS bucket, count(*),"
    " min(" PR_MS("created_at") ")"
    " FROM payrecon.transactions WHERE status IN " PR_PENDING " GROUP BY 1, 2 ORDER BY 1, 2";

const char* const kImportCreateTemp =
    "CREATE TEMP TABLE payrecon_import ("
    "  line bigint, kind text, merchant_id text, merchant_txn_id text, amazon_txn_id text,"
    "  parent_merchant_txn_id text, amount_paise bigint, currency text, status text, created_ms bigint"
    ") ON COMMIT DROP";
const char* const kImportCopy = "COPY payrecon_import FROM STDIN";
// Straight into the table, in file order (ids follow the file): the rows carry their own created_at, updated_at
// (the import's time) and next_check_at (= created_at). Fails with a unique violation (23505) when a key is present.
const char* const kImportCopyNew =
    "COPY payrecon.transactions (kind, merchant_id, merchant_txn_id, amazon_txn_id, parent_merchant_txn_id,"
    " amount_paise, currency, status, created_at, updated_at, next_check_at) FROM STDIN";
const char* const kImportTempBuffers = "SET LOCAL temp_buffers = '256MB'";
const char* const kImportWorkMem = "SET LOCAL work_mem = '256MB'";
const char* const kImportAnalyze = "ANALYZE payrecon.transactions";
// $1 now. New rows are due at their created_at. The same rows as kImportInsert when none exists yet; fails with
// a unique violation (23505) otherwise.
const char* const kImportInsertNew =
    "INSERT INTO payrecon.transactions (kind, merchant_id, merchant_txn_id, amazon_txn_id, parent_merchant_txn_id,"
    "  amount_paise, currency, status, created_at, updated_at, next_check_at)"
    " SELECT kind, merchant_id, merchant_txn_id, amazon_txn_id, parent_merchant_txn_id, amount_paise, currency,"
    "        status, " PR_TS("created_ms") ", " PR_TS("$1") ", " PR_TS("created_ms")
    " FROM payrecon_import ORDER BY line";
// $1 now. New rows are due at their created_at.
const char* const kImportInsert =
    "INSERT INTO payrecon.transactions (kind, merchant_id, merchant_txn_id, amazon_txn_id, parent_merchant_txn_id,"
    "  amount_paise, currency, status, created_at, updated_at, next_check_at)"
    " SELECT kind, merchant_id, merchant_txn_id, amazon_txn_id, parent_merchant_txn_id, amount_paise, currency,"
    "        status, " PR_TS("created_ms") ", " PR_TS("$1") ", " PR_TS("created_ms")
    " FROM payrecon_import ORDER BY line"
    " ON CONFLICT (merchant_id, kind, merchant_txn_id) DO NOTHING";

// ---- amounts, figures, `check` and `show` ----

// $1 now (ms), $2 ascending age bounds in ms. Sums of bigint are numeric in PostgreSQL: read back as text, exact.
const char* const kTransactionsPendingTotals =
    "SELECT kind, width_bucket($1::bigint - " PR_MS("created_at") ", $2::bigint[]) AS bucket, count(*),"
    " sum(amount_paise)::text"
    " FROM payrecon.transactions WHERE status IN " PR_PENDING " GROUP BY 1, 2 ORDER BY 1, 2";

const char* const kDiscrepanciesTotalsOpen =
    "SELECT code, count(*), sum(local_amount_paise)::text FROM payrecon.discrepancies WHERE resolved_at IS NULL"
    " GROUP BY code ORDER BY code";

// $1 run_id, $2 figures JSON.
const char* const kRunFiguresSet = "UPDATE payrecon.runs SET figures = $2::jsonb WHERE id = $1";

// $1 limit. The index lists runs and backfills that changed the database, newest first.
const char* const kRunsListRecent =
    "SELECT id, mode, " PR_MS("started_at") ", " PR_MS("finished_at") ", exit_code, figures::text"
    " FROM payrecon.runs WHERE mode IN ('run', 'backfill') AND NOT dry_run"
    " ORDER BY started_at DESC, id DESC LIMIT $1";

// $1 run_id, $2 now, $3 lease_until, $4 id. Any status: `check` verifies final transactions too.
const char* const kTransactionClaimOne =
    "UPDATE payrecon.transactions t SET lease_run_id = $1, lease_until = " PR_TS("$3")
    " WHERE t.id = $4::bigint AND (t.lease_until IS NULL OR t.lease_until < " PR_TS("$2") ")"
    " RETURNING " PR_TRANSACTION_COLUMNS;

// $1 merchant_id, $2 merchant_txn_id, $3 kind or NULL.
const char* const kTransactionsFindByTxn =
    "SELECT " PR_TRANSACTION_COLUMNS " FROM payrecon.transactions t"
    " WHERE t.merchant_id = $1 AND t.merchant_txn_id = $2 AND ($3::text IS NULL OR t.kind = $3::text)"
    " ORDER BY t.kind";

// $1 transaction id.
const char* const kTransactionLeaseGet =
    "SELECT coalesce(lease_run_id, ''), " PR_MS("lease_until") " FROM payrecon.transactions WHERE id = $1::bigint";

const char* const kTransactionEventsList =
    "SELECT e.id, coalesce(e.run_id, ''), e.event_type, e.from_status, e.to_status, coalesce(e.discrepancy_code, ''),"
    " coalesce(e.amazon_txn_id, ''), e.approved_amount_paise, " PR_MS("e.gateway_updated_at") ","
    " coalesce(e.request_id, ''), coalesce(e.response_digest, ''), " PR_MS("e.created_at") ","
    " coalesce(e.actor, ''), coalesce(e.note, '')"
    " FROM payrecon.transaction_events e WHERE e.transaction_id = $1::bigint ORDER BY e.id";

const char* const kTransactionRunErrorsList =
    "SELECT e.run_id, e.error_class, coalesce(e.http_status, 0), coalesce(e.gateway_code, ''), e.message,"
    " e.attempts, " PR_MS("e.next_check_at") ", " PR_MS("e.created_at")
    " FROM payrecon.run_errors e WHERE e.transaction_id = $1::bigint ORDER BY e.id";

const char* const kTransactionDiscrepanciesList =
    "SELECT " PR_DISCREPANCY_COLUMNS
    " FROM payrecon.discrepancies d JOIN payrecon.transactions t ON t.id = d.transaction_id"
    " WHERE d.transaction_id = $1::bigint ORDER BY d.id";

const char* const kTransactionCheckRunsList =
    "SELECT id, " PR_MS("started_at") ", figures::text, dry_run FROM payrecon.runs"
    " WHERE mode = 'check' AND (arguments ->> 'transaction_id')::bigint = $1::bigint ORDER BY started_at, id";
// $1 before (ms). Errors of runs started before it that are finished; then those runs. Open runs (no
// finished_at) keep their errors: a crashed backfill can still be resumed and reported.
const char* const kHistoryPrune =
    "WITH old AS ("
    "  SELECT id FROM payrecon.runs WHERE started_at < " PR_TS("$1") " AND finished_at IS NOT NULL"
    "), errors AS ("
    "  DELETE FROM payrecon.run_errors e USING old WHERE e.run_id = old.id RETURNING 1"
    "), runs AS ("
    "  DELETE FROM payrecon.runs r USING old WHERE r.id = old.id RETURNING 1"
    ")"
    " SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM errors)";

// ---- failure paths: run clean-up, abandoned runs, held backfill rows, lease renewal ----

// $1 run_id. Every claim of one run, whatever its ids: the clean-up of a run that ended with an error.
const char* const kLeasesReleaseRun =
    "UPDATE payrecon.transactions SET lease_run_id = NULL, lease_until = NULL WHERE lease_run_id = $1";

// $1 now, $2 grace in ms, $3 run_id or NULL (all). A run's row still open once its deadline plus the grace has
// passed, and none of whose claims is still leased, belongs to a process that died without closing it: it is
// closed as 'abandoned' with no exit code, finished at its last recorded event (or its start).
const char* const kRunsMarkAbandoned =
    "UPDATE payrecon.runs r SET outcome = 'abandoned', exit_code = NULL,"
    " finished_at = greatest(r.started_at, (SELECT max(e.created_at) FROM payrecon.transaction_events e"
    "                                       WHERE e.run_id = r.id))"
    " WHERE r.finished_at IS NULL AND ($3::text IS NULL OR r.id = $3::text)"
    "   AND r.started_at + (coalesce((r.arguments->>'deadline_ms')::bigint, 0) + $2::bigint)"
    "       * interval '1 millisecond' < " PR_TS("$1")
    "   AND NOT EXISTS (SELECT 1 FROM payrecon.transactions t"
    "                   WHERE t.lease_run_id = r.id AND t.lease_until >= " PR_TS("$1") ")"
    " RETURNING r.id";

// $1 created_from, $2 created_to, $3 kind or NULL, $4 merchant_id or NULL, $5 after_id, $6 through or NULL,
// $7 claimed ids. The window rows a claim passed over: another run held them.
const char* const kTransactionsHeldInWindow =
    "SELECT t.id FROM payrecon.transactions t"
    " WHERE t.created_at >= " PR_TS("$1") " AND t.created_at < " PR_TS("$2") " AND t.id > $5::bigint"
    "   AND ($6::bigint IS NULL OR t.id <= $6::bigint) AND NOT (t.id = ANY($7::bigint[]))"
    "   AND ($3::text IS NULL OR t.kind = $3::text) AND ($4::text IS NULL OR t.merchant_id = $4::text)"
    " ORDER BY t.id";

// $1 run_id, $2 ids, $3 now, $4 new lease_until. Only this run's claims that are still live.
const char* const kLeasesRenew =
    "UPDATE payrecon.transactions SET lease_until = " PR_TS("$4")
    " WHERE id = ANY($2::bigint[]) AND lease_run_id = $1 AND lease_until >= " PR_TS("$3")
    " RETURNING id";

}  // namespace payrecon::db::sql
