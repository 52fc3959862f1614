#pragma once
// A fresh database per test on the server named by PAYRECON_TEST_DATABASE_URL: created with a unique name,
// migrated (unless asked not to), dropped at the end. Tests stay independent and can run in parallel.
#include <memory>
#include <string>

#include "db/connection.h"

namespace payrecon::testing {

class TestDatabase {
 public:
  // Fails the test with a clear message when PAYRECON_TEST_DATABASE_URL is unset.
  explicit TestDatabase(bool migrate = true);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // A connection string (URI or keyword form, like the base) for this database.
  const std::string& conninfo() const { return conninfo_; }
  std::unique_ptr<db::Connection> Connect() const { return std::make_unique<db::Connection>(conninfo_); }

 private:
  std::string base_;
  std::string name_;
  std::string conninfo_;
};

// The base URI, or a failed BOOST_REQUIRE naming the variable.
std::string TestDatabaseUrl();
// `conninfo` with its database replaced by `dbname` (URI or keyword/value form).
std::string WithDatabase(const std::string& conninfo, const std::string& dbname);

}  // namespace payrecon::testing
