#include "tests/pg/test_database.h"

#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>

#include "db/migrate.h"

namespace payrecon::testing {

std::string TestDatabaseUrl() {
  const char* url = std::getenv("PAYRECON_TEST_DATABASE_URL");
  BOOST_REQUIRE_MESSAGE(url != nullptr && *url != '\0',
                        "PAYRECON_TEST_DATABASE_URL is not set: run the tests through scripts/test.sh, or point it "
                        "at a PostgreSQL server (e.g. postgresql://user@127.0.0.1:5432/postgres)");
  return url;
}

std::string WithDatabase(const std::string& conninfo, const std::string& dbname) {
  const bool uri = conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
  if (!uri) return conninfo + " dbname=" + dbname;
  const std::size_t authority = conninfo.find("://") + 3;
  const std::size_t query = conninfo.find('?', authority);
  const std::size_t slash = conninfo.find('/', authority);
  const std::size_t path = slash != std::string::npos && (query == std::string::npos || slash < query)
                               ? slash
                               : (query != std::string::npos ? query : conninfo.size());
  const std::string rest = query != std::string::npos ? conninfo.substr(query) : "";
  return conninfo.substr(0, path) + "/" + dbname + rest;
}

TestDatabase::TestDatabase(bool migrate) : base_(TestDatabaseUrl()) {
  static std::atomic<int> counter{0};
  const auto nanos = std::chrono::steady_clock::now().time_since_epoch().count();
  name_ = "payrecon_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
          std::to_string(nanos % 1000000007);
  {
    db::Connection admin(base_);
    admin.Execute("CREATE DATABASE " + name_);
  }
  conninfo_ = WithDatabase(base_, name_);
  if (migrate) {
    db::Connection conn(conninfo_);
    db::Migrate(conn);
  }
}

TestDatabase::~TestDatabase() {
  try {
    db::Connection admin(base_);
    admin.Execute("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    BOOST_TEST_MESSAGE("could not drop test database " << name_ << ": " << e.what());
  }
}

}  // namespace payrecon::testing
