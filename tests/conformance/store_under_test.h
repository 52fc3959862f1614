#pragma once
// The store the conformance cases run against: the in-memory fake (fake_store_under_test.cpp, label unit) or
// db::PgStore on a fresh database of the throwaway server (pg_store_under_test.cpp, label pg). The same cases run
// against both, so the fake the unit tests rely on cannot drift from the real store.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/store_ports.h"

namespace payrecon::testing {

// 2026-01-01T00:00:00Z: every case pins its clock from here.
inline const core::Instant kConformanceT0{core::Millis{1767225600000}};
inline core::Instant T(std::int64_t seconds) { return kConformanceT0 + core::Millis{seconds * 1000}; }

// A transaction as a payment service inserts it.
struct NewRow {
  core::Kind kind = core::Kind::kCharge;
  std::string merchant_id = "M1";
  std::string merchant_txn_id;
  core::Status status = core::Status::kCapturePending;
  core::Paise amount = 150000;
  core::Instant created_at = kConformanceT0;
  core::Instant next_check_at = kConformanceT0;
};

class StoreUnderTest {
 public:
  virtual ~StoreUnderTest() = default;
  virtual core::TransactionStore& transactions() = 0;
  virtual core::RunStore& runs() = 0;
  virtual core::DiscrepancyStore& discrepancies() = 0;
  // Inserts the row; returns it as stored (with its id).
  virtual core::Transaction Insert(const NewRow& row) = 0;
  virtual core::Transaction Get(std::int64_t id) = 0;
  // The transaction's audit trail, oldest first, as "transition A->B run", "discrepancy CODE run",
  // "resolution CODE".
  virtual std::vector<std::string> Events(std::int64_t id) = 0;
};

std::unique_ptr<StoreUnderTest> MakeStoreUnderTest();

}  // namespace payrecon::testing
