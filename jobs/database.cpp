#include "jobs/database.h"

#include "db/migrate.h"

namespace payrecon::jobs {

namespace {
// The store the runner sees: forwards to the Database's PgStore. A lost connection is reconnected by the
// ReconnectingStore's factory (which reconnects the shared connection).
class Forwarding : public core::TransactionStore {
 public:
  explicit Forwarding(db::PgStore& store) : store_(store) {}
  std::vector<core::Transaction> TransactionsClaimDue(const core::ClaimParams& p) override {
    return store_.TransactionsClaimDue(p);
  }
  std::vector<core::Transaction> TransactionsClaimWindow(const core::WindowClaimParams& p) override {
    return store_.TransactionsClaimWindow(p);
  }
  core::ApplyResult TransactionsApply(const core::ApplyParams& p) override { return store_.TransactionsApply(p); }
  void LeasesRelease(const core::ReleaseParams& p) override { store_.LeasesRelease(p); }
  std::vector<std::int64_t> LeasesRenew(const core::RenewParams& p) override { return store_.LeasesRenew(p); }
  std::vector<std::int64_t> TransactionsHeldInWindow(const core::WindowHeldParams& p) override {
    return store_.TransactionsHeldInWindow(p);
  }

 private:
  db::PgStore& store_;
};
}  // namespace

Database::Database(const std::string& conninfo)
    : conn_(conninfo),
      store_(conn_),
      give_up_at_([](SteadyTime first_failure) { return first_failure; }) {
  transactions_ = std::make_unique<ReconnectingStore>(
      std::make_unique<Forwarding>(store_),
      [this]() -> std::unique_ptr<core::TransactionStore> {
        conn_.Reconnect();
        return std::make_unique<Forwarding>(store_);
      },
      [this](SteadyTime first_failure) { return give_up_at_(first_failure); }, &Database::IsTransient,
      [this] { return interrupt_; });
}

void Database::RequireCurrentSchema() { db::SchemaRequireCurrent(conn_); }

bool Database::IsTransient(const core::StoreUnavailable& e) {
  if (NeedsReconnect(e)) return true;
  const auto* q = dynamic_cast<const db::QueryError*>(&e);
  return q && (q->sqlstate() == "40P01" || q->sqlstate() == "40001");
}

bool Database::NeedsReconnect(const core::StoreUnavailable& e) {
  return dynamic_cast<const db::ConnectionLost*>(&e) != nullptr;
}

}  // namespace payrecon::jobs
