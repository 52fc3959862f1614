#pragma once
// Internal to db/: libpq result handling shared by the adapter's sources. Not part of the public API.
#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "db/connection.h"

namespace payrecon::db::internal {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Throws ConnectionLost or QueryError for a failed result (nullptr included); `what` names the statement.
void ThrowFor(Connection& conn, const PGresult* result, std::string_view what);
// Runs a statement with text parameters; throws on failure. Parameters may be NULL (nullptr).
Result Exec(Connection& conn, std::string_view what, const char* sql, const std::vector<const char*>& params);
// Runs a statement and calls `row` for every row as it arrives (single-row mode): memory stays flat.
// If `row` throws, the query is cancelled, the connection drained and the exception rethrown.
void Stream(Connection& conn, std::string_view what, const char* sql, const std::vector<const char*>& params,
            const std::function<void(const PGresult*, int)>& row);

// The same, with the plan pinned to index scans: the statement runs in its own transaction after
// SET LOCAL enable_seqscan, enable_bitmapscan and enable_sort off and jit off. For the queue's hot statements,
// whose right plan (an index scan in the order of the ORDER BY, stopping at the LIMIT) must not depend on
// whether the table has been analysed since a million rows arrived. The caller must not be inside a transaction.
// ExecPinned sends the transaction as one pipeline: a single round trip.
Result ExecPinned(Connection& conn, std::string_view what, const char* sql, const std::vector<const char*>& params);
void StreamPinned(Connection& conn, std::string_view what, const char* sql, const std::vector<const char*>& params,
                  const std::function<void(const PGresult*, int)>& row);

// A statement prepared on a connection the first time it runs there (and again after a reconnect), under `name`.
struct PreparedStatement {
  const char* name;
  const char* sql;
};
// ExecPinned for a prepared statement, run with its generic plan (plan_cache_mode force_generic_plan for this
// transaction only): for a statement whose right plan does not depend on its parameters, so that it is planned
// once per connection instead of once per call.
Result ExecPinnedGeneric(Connection& conn, std::string_view what, const PreparedStatement& statement,
                         const std::vector<const char*>& params);

// Cell readers. Text of NULL is "".
inline bool IsNull(const PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }
inline std::string_view Text(const PGresult* r, int row, int col) {
  return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
}
std::int64_t Int(const PGresult* r, int row, int col);
std::optional<std::int64_t> OptInt(const PGresult* r, int row, int col);
inline bool Bool(const PGresult* r, int row, int col) { return Text(r, row, col) == "t"; }
inline core::Instant Time(const PGresult* r, int row, int col) { return core::Instant{core::Millis{Int(r, row, col)}}; }
std::optional<core::Instant> OptTime(const PGresult* r, int row, int col);

// Parameter text builders.
inline std::string Ms(core::Instant t) { return std::to_string(t.time_since_epoch().count()); }

// PostgreSQL array literals ("{1,2,NULL}", "{\"a\",NULL}") for unnest(): one per column of a batch.
class ArrayText {
 public:
  void Add(std::int64_t v);
  void Add(std::optional<std::int64_t> v);
  void Add(bool v);
  void AddText(std::string_view v);  // text is made valid UTF-8 without NUL bytes
  void AddTextOrNull(std::string_view v);  // empty text is stored as NULL
  void AddNull();
  const char* c_str();

 private:
  void Sep();
  std::string s_ = "{";
  bool closed_ = false;
};

// Makes text storable in a text column: invalid UTF-8 sequences and NUL bytes become '?'.
std::string ValidUtf8(std::string_view text);

}  // namespace payrecon::db::internal
