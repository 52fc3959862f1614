#include "tests/conformance/store_under_test.h"
#include "tests/unit/fake_store.h"

namespace payrecon::testing {

namespace {

class FakeUnderTest : public StoreUnderTest {
 public:
  core::TransactionStore& transactions() override { return fake_; }
  core::RunStore& runs() override { return fake_; }
  core::DiscrepancyStore& discrepancies() override { return fake_; }

  core::Transaction Insert(const NewRow& row) override {
    core::Transaction t;
    t.id = next_id_++;
    t.kind = row.kind;
    t.merchant_id = row.merchant_id;
    t.merchant_txn_id = row.merchant_txn_id;
    t.amount = row.amount;
    t.currency = "INR";
    t.status = row.status;
    t.created_at = row.created_at;
    t.updated_at = row.created_at;
    t.next_check_at = row.next_check_at;
    fake_.Add(t);
    return t;
  }

  core::Transaction Get(std::int64_t id) override { return fake_.Get(id); }

  std::vector<std::string> Events(std::int64_t id) override {
    std::vector<std::string> out;
    for (const FakeEvent& e : fake_.events()) {
      if (e.transaction_id != id) continue;
      out.push_back(e.kind + " " + e.text + (e.run_id.empty() ? "" : " " + e.run_id));
    }
    return out;
  }

 private:
  FakeStore fake_;
  std::int64_t next_id_ = 1;
};

}  // namespace

std::unique_ptr<StoreUnderTest> MakeStoreUnderTest() { return std::make_unique<FakeUnderTest>(); }

}  // namespace payrecon::testing
