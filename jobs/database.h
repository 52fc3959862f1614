#pragma once
// The job's database: one connection, the PgStore over it, and retries across a lost connection (reconnect with
// back-off until the run's give-up time; then StoreUnavailable, exit 3). Used from one thread (the runner's
// coordinating thread and the command around it).
#include <chrono>
#include <memory>
#include <string>

#include "db/connection.h"
#include "db/pg_store.h"
#include "jobs/reconnecting_store.h"
#include "jobs/retry.h"

namespace payrecon::jobs {

class Database {
 public:
  // Connects once (no retry: a database down at start is exit 3 at once). Throws db::ConnectionLost.
  explicit Database(const std::string& conninfo);

  // From now on a lost connection is retried until give_up_at(first failure).
  void SetGiveUp(ReconnectingStore::Deadline give_up_at) { give_up_at_ = std::move(give_up_at); }

  // Throws db::SchemaBehind when the schema is behind this binary.
  void RequireCurrentSchema();

  // Runs f(PgStore&), reconnecting and retrying while the connection is lost.
  template <class F>
  auto Retry(const char* what, F&& f) {
    RetryPolicy policy{give_up_at_, &Database::IsTransient};
    return RetryWhileUnavailable(what, policy, [this] { reconnect_ = true; }, [&] {
      if (reconnect_) {
        conn_.Reconnect();
        reconnect_ = false;
        LogInfo("database connection re-established");
      }
      return f(store_);
    });
  }

  // core::TransactionStore with the same retries, for the runner.
  core::TransactionStore& transactions() { return *transactions_; }
  db::Connection& connection() { return conn_; }
  db::PgStore& store() { return store_; }

  static bool IsTransient(const core::StoreUnavailable& e);

 private:
  db::Connection conn_;
  db::PgStore store_;
  ReconnectingStore::Deadline give_up_at_;
  bool reconnect_ = false;
  std::unique_ptr<ReconnectingStore> transactions_;
};

}  // namespace payrecon::jobs
