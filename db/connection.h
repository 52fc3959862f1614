#pragma once
// One libpq connection (RAII). Connection strings are libpq's keyword/value form or a URI; libpq's PG* environment
// variables fill in what the string leaves out. Errors never contain the password. Not thread-safe: one thread
// uses a connection at a time.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports.h"

struct pg_conn;  // libpq's PGconn; libpq headers stay out of this header

namespace payrecon::db {

// The connection could not be opened, or it broke (server gone, network down). Reconnect() may help.
class ConnectionLost : public core::StoreUnavailable {
 public:
  using core::StoreUnavailable::StoreUnavailable;
};

// A statement failed on a healthy connection (constraint, trigger, syntax). sqlstate() is the five-character
// SQLSTATE, e.g. "23505" (unique violation) or "P0001" (raised by a trigger).
class QueryError : public core::StoreUnavailable {
 public:
  QueryError(const std::string& message, std::string sqlstate)
      : core::StoreUnavailable(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// A text value or SQL NULL.
using Value = std::optional<std::string>;
using Row = std::vector<Value>;

class Connection {
 public:
  // Connects. `conninfo` may be empty (all from PG* variables). Sets fallback_application_name "payrecon" and,
  // unless PGCONNECT_TIMEOUT or the string says otherwise, connect_timeout 10 s. NOTICEs are discarded.
  // Throws ConnectionLost: "cannot connect to database \"user@host:port/dbname\": <libpq's reason>".
  explicit Connection(std::string_view conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // "user@host:port/dbname": for logs and messages; never the password.
  const std::string& Describe() const { return description_; }
  // Whether the connection is known to be broken (after a ConnectionLost).
  bool Broken() const;
  // Closes and reopens with the same parameters. Throws ConnectionLost when that fails.
  void Reconnect();

  // Runs one or more statements without parameters (simple query protocol), discarding results.
  // Throws ConnectionLost or QueryError.
  void Execute(std::string_view sql);
  // Runs one statement with text parameters ($1, $2, …) and returns every row as text.
  // Throws ConnectionLost or QueryError.
  std::vector<Row> Query(std::string_view sql, const std::vector<Value>& params = {});

  // The libpq handle, for db/'s own sources only.
  pg_conn* native() { return conn_; }
  // Statements prepared on this session (internal::ExecPinnedGeneric); forgotten when it is reopened.
  bool IsPrepared(std::string_view name) const;
  void MarkPrepared(std::string_view name) { prepared_.emplace_back(name); }
  // False once a prepared statement went missing or was there already (a pooler handing each transaction another
  // server session): from then on this connection, reopened or not, sends every statement unnamed.
  bool PreparesStatements() const { return prepares_; }
  void StopPreparing() { prepares_ = false; }

 private:
  void Open();

  std::string conninfo_;
  std::string description_;
  pg_conn* conn_ = nullptr;
  std::vector<std::string> prepared_;
  bool prepares_ = true;
};

}  // namespace payrecon::db
