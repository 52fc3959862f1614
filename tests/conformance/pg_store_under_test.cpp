#include "db/pg_store.h"
#include "tests/conformance/store_under_test.h"
#include "tests/pg/pg_fixtures.h"
#include "tests/pg/test_database.h"

namespace payrecon::testing {

namespace {

class PgUnderTest : public StoreUnderTest {
 public:
  PgUnderTest() : conn_(database_.Connect()), store_(*conn_) {}

  core::TransactionStore& transactions() override { return store_; }
  core::RunStore& runs() override { return store_; }
  core::DiscrepancyStore& discrepancies() override { return store_; }

  core::Transaction Insert(const NewRow& row) override {
    NewTransaction t;
    t.kind = std::string(core::KindName(row.kind));
    t.merchant_id = row.merchant_id;
    t.merchant_txn_id = row.merchant_txn_id;
    t.status = std::string(core::StatusName(row.status));
    t.amount_paise = row.amount;
    t.created_at = row.created_at;
    t.next_check_at = row.next_check_at;
    return Get(InsertTransaction(*conn_, t));
  }

  core::Transaction Get(std::int64_t id) override { return store_.TransactionGet(id).value(); }

  std::vector<std::string> Events(std::int64_t id) override {
    std::vector<std::string> out;
    for (const core::EventRow& e : store_.TransactionEventsList(id)) {
      const std::string what = e.event_type == "transition" ? e.from_status + "->" + e.to_status : e.discrepancy_code;
      out.push_back(e.event_type + " " + what + (e.run_id.empty() ? "" : " " + e.run_id));
    }
    return out;
  }

 private:
  TestDatabase database_;
  std::unique_ptr<db::Connection> conn_;
  db::PgStore store_;
};

}  // namespace

std::unique_ptr<StoreUnderTest> MakeStoreUnderTest() { return std::make_unique<PgUnderTest>(); }

}  // namespace payrecon::testing
