#include "jobs/database.h"

#include "db/migrate.h"

namespace payrecon::jobs {

Database::Database(const std::string& conninfo)
    : conn_(conninfo),
      store_(conn_),
      give_up_at_([](SteadyTime first_failure) { return first_failure; }) {
  retrying_ = std::make_unique<ReconnectingStore>(
      ReconnectingStore::All(store_), [this] { conn_.Reconnect(); },
      [this](SteadyTime first_failure) { return give_up_at_(first_failure); }, &Database::IsTransient,
      &Database::NeedsReconnect, [this] { return interrupt_; });
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
