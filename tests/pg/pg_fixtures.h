#pragma once
// Shared helpers of the pg tests: rows inserted with SQL as a payment service would, at pinned times.
#include <cstdint>
#include <ostream>
#include <string>

#include "core/time.h"
#include "core/transaction.h"
#include "db/connection.h"

namespace payrecon::core {
// Boost.Test prints values of failed checks through these (found by argument-dependent lookup).
inline std::ostream& boost_test_print_type(std::ostream& os, Kind kind) { return os << KindName(kind); }
inline std::ostream& boost_test_print_type(std::ostream& os, Status status) { return os << StatusName(status); }
inline std::ostream& boost_test_print_type(std::ostream& os, DiscrepancyCode code) {
  return os << DiscrepancyCodeName(code);
}
}  // namespace payrecon::core

namespace payrecon::testing {

// 2026-01-01T00:00:00Z: every test pins its clock from here.
inline const core::Instant kT0{core::Millis{1767225600000}};

inline core::Instant At(std::int64_t seconds) { return kT0 + core::Millis{seconds * 1000}; }

struct NewTransaction {
  std::string kind = "charge";
  std::string merchant_id = "M1";
  std::string merchant_txn_id;
  std::string status = "CapturePending";
  std::int64_t amount_paise = 150000;
  core::Instant created_at = kT0;
  core::Instant next_check_at = kT0;
  std::string parent;  // refunds
};

inline std::int64_t InsertTransaction(db::Connection& conn, const NewTransaction& t) {
  const auto rows = conn.Query(
      "INSERT INTO payrecon.transactions (kind, merchant_id, merchant_txn_id, parent_merchant_txn_id, amount_paise,"
      " currency, status, created_at, next_check_at)"
      " VALUES ($1, $2, $3, nullif($4, ''), $5::bigint, 'INR', $6, to_timestamp($7::bigint / 1000.0),"
      " to_timestamp($8::bigint / 1000.0)) RETURNING id",
      {t.kind, t.merchant_id, t.merchant_txn_id, t.parent, std::to_string(t.amount_paise), t.status,
       std::to_string(t.created_at.time_since_epoch().count()),
       std::to_string(t.next_check_at.time_since_epoch().count())});
  return std::stoll(*rows.at(0).at(0));
}

// The first column of the first row, as text ("" for NULL).
inline std::string Scalar(db::Connection& conn, const std::string& sql, const std::vector<db::Value>& params = {}) {
  const auto rows = conn.Query(sql, params);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
  return *rows[0][0];
}

// A digest of every row of every payrecon table: equal digests mean nothing changed.
inline std::string SchemaDigest(db::Connection& conn) {
  std::string all;
  for (const char* table : {"transactions", "transaction_events", "runs", "run_errors", "discrepancies",
                            "schema_migrations"}) {
    all += Scalar(conn, std::string("SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM "
                                    "payrecon.") + table + " x");
    all += ";";
  }
  return all;
}

}  // namespace payrecon::testing
