#include "db/result.h"

#include <charconv>

namespace payrecon::db::internal {

void ThrowFor(Connection& conn, const PGresult* result, std::string_view what) {
  PGconn* pg = conn.native();
  if (pg == nullptr || PQstatus(pg) != CONNECTION_OK) {
    std::string reason = pg != nullptr ? PQerrorMessage(pg) : "no connection";
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    for (auto& c : reason) {
      if (c == '\n') c = ' ';
    }
    throw ConnectionLost("database connection \"" + conn.Describe() + "\" lost during " + std::string(what) + ": " +
                         reason);
  }
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
    if (state != nullptr) sqlstate = state;
    if (primary != nullptr) message = primary;
    if (detail != nullptr) message += std::string(" (") + detail + ")";
    if (message.empty()) {
      const ExecStatusType status = PQresultStatus(result);
      message = std::string("unexpected result ") + PQresStatus(status);
    }
  } else {
    message = PQerrorMessage(pg);
    while (!message.empty() && message.back() == '\n') message.pop_back();
  }
  throw QueryError("database " + std::string(what) + " failed: " + message, sqlstate);
}

Result Exec(Connection& conn, std::string_view what, const char* sql, const std::vector<const char*>& params) {
  Result r(PQexecParams(conn.native(), sql, static_cast<int>(params.size()), nullptr, params.data(), nullptr,
                        nullptr, 0));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) ThrowFor(conn, r.get(), what);
  return r;
}

void Stream(Connection& conn, std::string_view what, const char* sql, const std::vector<const char*>& params,
            const std::function<void(const PGresult*, int)>& row) {
  PGconn* pg = conn.native();
  if (PQsendQueryParams(pg, sql, static_cast<int>(params.size()), nullptr, params.data(), nullptr, nullptr, 0) != 1) {
    ThrowFor(conn, nullptr, what);
  }
  PQsetSingleRowMode(pg);
  Result failed;
  try {
    for (;;) {
      Result r(PQgetResult(pg));
      if (!r) break;
      const ExecStatusType status = PQresultStatus(r.get());
      if (status == PGRES_SINGLE_TUPLE) {
        if (!failed) row(r.get(), 0);
      } else if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && !failed) {
        failed = std::move(r);
      }
    }
  } catch (...) {
    // Stop the server sending the rest, then drain what is in flight so the connection stays usable.
    if (PGcancel* cancel = PQgetCancel(pg)) {
      char err[256];
      PQcancel(cancel, err, sizeof err);
      PQfreeCancel(cancel);
    }
    while (PGresult* rest = PQgetResult(pg)) PQclear(rest);
    throw;
  }
  if (failed) ThrowFor(conn, failed.get(), what);
  if (PQstatus(pg) != CONNECTION_OK) ThrowFor(conn, nullptr, what);
}

namespace {

// The plan pins, for this transaction only (set_config(..., true) is SET LOCAL), as one statement: the pipeline
// takes one statement per query.
#define PR_PIN_PLAN                                                                                        \
  "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),"       \
  " set_config('enable_sort', 'off', true), set_config('jit', 'off', true)"
constexpr const char* kPinPlanStatement = PR_PIN_PLAN;
constexpr const char* kPinPlan = "BEGIN; " PR_PIN_PLAN;
constexpr const char* kPinGenericPlanStatement =
    PR_PIN_PLAN ", set_config('plan_cache_mode', 'force_generic_plan', true)";

// Runs `body` between kPinPlan and COMMIT; rolls back when it throws (unless the connection is gone).
template <class F>
auto Pinned(Connection& conn, F&& body) {
  conn.Execute(kPinPlan);
  try {
    auto result = body();
    conn.Execute("COMMIT");
    return result;
  } catch (...) {
    PGconn* pg = conn.native();
    if (!conn.Broken() && PQtransactionStatus(pg) != PQTRANS_IDLE) PQclear(PQexec(pg, "ROLLBACK"));
    throw;
  }
}

// One round trip instead of three: BEGIN, the pins, the statement and COMMIT go out together in libpq's pipeline
// mode and are answered together. On a busy machine each round trip waits for both the backend and this thread to
// be scheduled again, and those waits were most of the tail of a claim's latency. After a failure the server skips
// the rest up to the sync, leaving the transaction aborted: the rollback below ends it, as in Pinned.
// `send` sends the statement (true when libpq took it); `pins` are kPinPlanStatement or kPinGenericPlanStatement.
// `prepare`, when not null, is prepared first in the same pipeline (the statement's first run on this session): a
// named statement outlives the transaction, so it counts as prepared as soon as its own answer is a success.
template <class Send>
Result ExecPinnedWith(Connection& conn, std::string_view what, const char* pins, const PreparedStatement* prepare,
                      Send&& send) {
  PGconn* pg = conn.native();
  if (PQenterPipelineMode(pg) != 1) ThrowFor(conn, nullptr, what);
  const int first = prepare != nullptr ? 1 : 0;
  const int queries = first + 4;  // [the prepare], BEGIN, the pins, the statement, COMMIT
  const int statement_at = first + 2;
  const bool sent = (prepare == nullptr || PQsendPrepare(pg, prepare->name, prepare->sql, 0, nullptr) == 1) &&
                    PQsendQueryParams(pg, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
                    PQsendQueryParams(pg, pins, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 && send(pg) &&
                    PQsendQueryParams(pg, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
                    PQpipelineSync(pg) == 1;
  Result statement;
  Result failed;
  bool lost = !sent;
  // Each query's results end with a null; then comes the sync. A lost connection ends the reading at once.
  for (int q = 0; q < queries && !lost; ++q) {
    for (;;) {
      Result r(PQgetResult(pg));
      if (!r) break;
      const ExecStatusType status = PQresultStatus(r.get());
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        if (q == statement_at) statement = std::move(r);
        if (q == 0 && prepare != nullptr) conn.MarkPrepared(prepare->name);
      } else if (status != PGRES_PIPELINE_ABORTED && !failed) {
        failed = std::move(r);
      }
      if (PQstatus(pg) != CONNECTION_OK) {
        lost = true;
        break;
      }
    }
  }
  if (!lost) {
    Result sync(PQgetResult(pg));
    lost = !sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(pg) != 1;
  }
  if (PQstatus(pg) != CONNECTION_OK) ThrowFor(conn, nullptr, what);
  if (lost) {
    // Still connected but out of step with its pipeline (the send or the sync failed): unusable as it is (Broken()
    // says so while it stays in pipeline mode), so it is treated as lost and opened again.
    std::string reason = PQerrorMessage(pg);
    for (auto& c : reason) {
      if (c == '\n') c = ' ';
    }
    while (!reason.empty() && reason.back() == ' ') reason.pop_back();
    if (reason.empty()) reason = "the pipeline's answers did not match its queries";
    throw ConnectionLost("database connection \"" + conn.Describe() + "\" out of step during " + std::string(what) +
                         ": " + reason);
  }
  if (failed) {
    if (PQtransactionStatus(pg) != PQTRANS_IDLE) PQclear(PQexec(pg, "ROLLBACK"));
    ThrowFor(conn, failed.get(), what);
  }
  if (!statement) ThrowFor(conn, nullptr, what);  // no answer to the statement itself: never silently no rows
  return statement;
}

}  // namespace

Result ExecPinned(Connection& conn, std::string_view what, const char* sql, const std::vector<const char*>& params) {
  return ExecPinnedWith(conn, what, kPinPlanStatement, nullptr, [&](PGconn* pg) {
    return PQsendQueryParams(pg, sql, static_cast<int>(params.size()), nullptr, params.data(), nullptr, nullptr, 0) ==
           1;
  });
}

Result ExecPinnedGeneric(Connection& conn, std::string_view what, const PreparedStatement& statement,
                         const std::vector<const char*>& params) {
  if (!conn.PreparesStatements()) return ExecPinned(conn, what, statement.sql, params);
  // Parameter types come from the statement's casts.
  const PreparedStatement* prepare = conn.IsPrepared(statement.name) ? nullptr : &statement;
  try {
    return ExecPinnedWith(conn, what, kPinGenericPlanStatement, prepare, [&](PGconn* pg) {
      return PQsendQueryPrepared(pg, statement.name, static_cast<int>(params.size()), params.data(), nullptr, nullptr,
                                 0) == 1;
    });
  } catch (const QueryError& e) {
    // 26000: no such prepared statement; 42P05: it exists already. Either way this session is not the one it was
    // prepared on (a transaction-pooling pooler between us and the server). Nothing was written: the transaction
    // was rolled back. Unnamed statements work through any pooler.
    if (e.sqlstate() != "26000" && e.sqlstate() != "42P05") throw;
    conn.StopPreparing();
    return ExecPinned(conn, what, statement.sql, params);
  }
}

void StreamPinned(Connection& conn, std::string_view what, const char* sql, const std::vector<const char*>& params,
                  const std::function<void(const PGresult*, int)>& row) {
  Pinned(conn, [&] {
    Stream(conn, what, sql, params, row);
    return 0;
  });
}

std::int64_t Int(const PGresult* r, int row, int col) {
  const std::string_view t = Text(r, row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::optional<std::int64_t> OptInt(const PGresult* r, int row, int col) {
  if (IsNull(r, row, col)) return std::nullopt;
  return Int(r, row, col);
}

std::optional<core::Instant> OptTime(const PGresult* r, int row, int col) {
  if (IsNull(r, row, col)) return std::nullopt;
  return Time(r, row, col);
}

void ArrayText::Sep() {
  if (s_.size() > 1) s_ += ',';
}

void ArrayText::Add(std::int64_t v) {
  Sep();
  s_ += std::to_string(v);
}

void ArrayText::Add(std::optional<std::int64_t> v) {
  if (v) {
    Add(*v);
  } else {
    AddNull();
  }
}

void ArrayText::Add(bool v) {
  Sep();
  s_ += v ? 't' : 'f';
}

void ArrayText::AddText(std::string_view v) {
  Sep();
  s_ += '"';
  for (char c : ValidUtf8(v)) {
    if (c == '"' || c == '\\') s_ += '\\';
    s_ += c;
  }
  s_ += '"';
}

void ArrayText::AddTextOrNull(std::string_view v) {
  if (v.empty()) {
    AddNull();
  } else {
    AddText(v);
  }
}

void ArrayText::AddNull() {
  Sep();
  s_ += "NULL";
}

const char* ArrayText::c_str() {
  if (!closed_) {
    s_ += '}';
    closed_ = true;
  }
  return s_.c_str();
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    if (c == 0) {
      len = 0;
    } else if (c < 0x80) {
      len = 1;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      len = 4;
    }
    bool ok = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogates
    } else if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

}  // namespace payrecon::db::internal
