#include "db/connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "db/result.h"
#include "env/environment.h"

namespace payrecon::db {
namespace {

void DiscardNotice(void*, const char*) {}

// libpq's messages end with newlines and may span lines; one line reads better in a log.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += "; ";
      continue;
    }
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

// Removes every occurrence of `secret` from `text` (defence in depth: libpq does not print passwords, but a
// malformed connection string may be echoed back in part).
void Scrub(std::string& text, const std::string& secret) {
  if (secret.empty()) return;
  for (std::size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "***");
    pos += 3;
  }
}

struct OptionsDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

std::string OptionValue(const PQconninfoOption* options, std::string_view key) {
  for (const PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (key == o->keyword && o->val != nullptr) return o->val;
  }
  return "";
}

}  // namespace

Connection::Connection(std::string_view conninfo) : conninfo_(conninfo) {
  // A constructor that throws runs no destructor: a refused connection's PGconn is freed here. (Reconnect keeps
  // the failed PGconn, which Broken() reports and the next Open or the destructor frees.)
  try {
    Open();
  } catch (...) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

void Connection::Open() {
  prepared_.clear();
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  // Secrets to keep out of messages: the password in the string, and PGPASSWORD.
  std::string password;
  {
    char* err = nullptr;
    std::unique_ptr<PQconninfoOption, OptionsDeleter> parsed(PQconninfoParse(conninfo_.c_str(), &err));
    if (!parsed) {
      std::string message = err != nullptr ? OneLine(err) : "out of memory";
      if (err != nullptr) PQfreemem(err);
      // The parser may quote the text around the problem, which could include the password: drop quoted parts.
      std::string safe;
      bool quoted = false;
      for (char c : message) {
        if (c == '"') {
          quoted = !quoted;
          safe += quoted ? "\"…" : "\"";
          continue;
        }
        if (!quoted) safe += c;
      }
      description_ = "(invalid connection string)";
      throw ConnectionLost("invalid database connection string: " + safe);
    }
    password = OptionValue(parsed.get(), "password");
  }
  const std::optional<std::string> env_password = env::GetEnv("PGPASSWORD");

  std::vector<const char*> keys;
  std::vector<const char*> values;
  keys.push_back("fallback_application_name");
  values.push_back("payrecon");
  if (!env::GetEnv("PGCONNECT_TIMEOUT")) {
    keys.push_back("connect_timeout");
    values.push_back("10");
  }
  // Last, so that what the string says overrides the defaults above (expand_dbname).
  keys.push_back("dbname");
  values.push_back(conninfo_.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn_ == nullptr) throw ConnectionLost("cannot connect to database: out of memory");

  {
    std::unique_ptr<PQconninfoOption, OptionsDeleter> used(PQconninfo(conn_));
    std::string host = OptionValue(used.get(), "host");
    if (host.empty()) host = OptionValue(used.get(), "hostaddr");
    if (host.empty()) host = "localhost";
    std::string port = OptionValue(used.get(), "port");
    if (port.empty()) port = "5432";
    description_ = OptionValue(used.get(), "user") + "@" + host + ":" + port + "/" + OptionValue(used.get(), "dbname");
    Scrub(description_, password);
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = "cannot connect to database \"" + description_ + "\": " + OneLine(PQerrorMessage(conn_));
    Scrub(message, password);
    if (env_password) Scrub(message, *env_password);
    throw ConnectionLost(message);
  }
  PQsetNoticeProcessor(conn_, DiscardNotice, nullptr);
}

// Left in pipeline mode (a pipeline that went out of step: db/result.cpp) counts as broken too: no ordinary
// statement can run on it until it is opened again.
bool Connection::Broken() const {
  return conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK || PQpipelineStatus(conn_) != PQ_PIPELINE_OFF;
}

void Connection::Reconnect() { Open(); }

bool Connection::IsPrepared(std::string_view name) const {
  return std::find(prepared_.begin(), prepared_.end(), name) != prepared_.end();
}

void Connection::Execute(std::string_view sql) {
  const std::string text(sql);
  internal::Result r(PQexec(conn_, text.c_str()));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) internal::ThrowFor(*this, r.get(), "statement");
}

std::vector<Row> Connection::Query(std::string_view sql, const std::vector<Value>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string text(sql);
  internal::Result r = internal::Exec(*this, "query", text.c_str(), values);
  std::vector<Row> rows;
  const int n = PQntuples(r.get());
  const int cols = PQnfields(r.get());
  rows.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    Row row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (internal::IsNull(r.get(), i, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(internal::Text(r.get(), i, c)));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace payrecon::db
