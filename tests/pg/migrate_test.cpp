#include <boost/test/unit_test.hpp>

#include <thread>

#include "db/migrate.h"
#include "tests/pg/pg_fixtures.h"
#include "tests/pg/test_database.h"

using namespace payrecon;
using payrecon::testing::Scalar;
using payrecon::testing::TestDatabase;

BOOST_AUTO_TEST_SUITE(migrate)

BOOST_AUTO_TEST_CASE(embedded_migrations_are_numbered_without_gaps) {
  const auto& all = db::EmbeddedMigrations();
  BOOST_REQUIRE(!all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    BOOST_TEST(all[i].version == static_cast<int>(i + 1));
    BOOST_TEST(!all[i].sql.empty());
  }
  BOOST_TEST(all[0].name == "create_transactions");
}

BOOST_AUTO_TEST_CASE(migrate_applies_everything_once_and_twice_is_a_noop) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  const int latest = db::EmbeddedMigrations().back().version;
  BOOST_TEST(db::SchemaStatus(*conn).current == 0);
  const auto first = db::Migrate(*conn);
  BOOST_TEST(first.from_version == 0);
  BOOST_TEST(first.to_version == latest);
  BOOST_TEST(first.applied.size() == static_cast<std::size_t>(latest));
  const std::string recorded = Scalar(*conn, "SELECT string_agg(version || ':' || name, ',' ORDER BY version) "
                                             "FROM payrecon.schema_migrations");
  BOOST_TEST(recorded.rfind("1:create_transactions,2:create_transaction_events,", 0) == 0u);
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.schema_migrations WHERE checksum ~ '^[0-9a-f]{32}$'") ==
             std::to_string(latest));

  const std::string before = testing::SchemaDigest(*conn);
  const auto second = db::Migrate(*conn);
  BOOST_TEST(second.applied.empty());
  BOOST_TEST(second.from_version == latest);
  BOOST_TEST(second.to_version == latest);
  BOOST_TEST(testing::SchemaDigest(*conn) == before);
  const auto state = db::SchemaStatus(*conn);
  BOOST_TEST(state.current == latest);
  BOOST_TEST(state.expected == latest);
  BOOST_TEST(!state.behind());
  BOOST_CHECK_NO_THROW(db::SchemaRequireCurrent(*conn));
}

BOOST_AUTO_TEST_CASE(a_schema_that_is_behind_is_detected) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  const int latest = db::EmbeddedMigrations().back().version;
  try {
    db::SchemaRequireCurrent(*conn);
    BOOST_FAIL("an empty database passed");
  } catch (const db::SchemaBehind& e) {
    BOOST_TEST(std::string(e.what()) == "database schema is at version 0 but this payrecon needs version " +
                                            std::to_string(latest) + ": run `payrecon migrate`");
  }
  db::Migrate(*conn);
  // Pretend the newest migration was never applied (an old deployment's database).
  conn->Query("DELETE FROM payrecon.schema_migrations WHERE version = $1::integer", {std::to_string(latest)});
  const auto state = db::SchemaStatus(*conn);
  BOOST_TEST(state.current == latest - 1);
  BOOST_TEST(state.behind());
  try {
    db::SchemaRequireCurrent(*conn);
    BOOST_FAIL("a schema behind passed");
  } catch (const db::SchemaBehind& e) {
    BOOST_TEST(std::string(e.what()) == "database schema is at version " + std::to_string(latest - 1) +
                                            " but this payrecon needs version " + std::to_string(latest) +
                                            ": run `payrecon migrate`");
  }
  // A schema ahead (a newer payrecon migrated it) is reported but not refused.
  conn->Execute("INSERT INTO payrecon.schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')");
  BOOST_TEST(db::SchemaStatus(*conn).ahead());
  BOOST_CHECK_NO_THROW(db::SchemaRequireCurrent(*conn));
}

BOOST_AUTO_TEST_CASE(an_edited_migration_is_refused) {
  TestDatabase tdb;
  auto conn = tdb.Connect();
  conn->Execute("UPDATE payrecon.schema_migrations SET checksum = 'edited' WHERE version = 2");
  try {
    db::Migrate(*conn);
    BOOST_FAIL("an edited migration passed");
  } catch (const db::QueryError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "migration 2 \"create_transaction_events\" was changed after it was applied (recorded as "
               "\"create_transaction_events\"): migrations are never edited, add a new one");
  }
}

BOOST_AUTO_TEST_CASE(a_failing_migration_is_rolled_back_whole) {
  TestDatabase tdb(/*migrate=*/false);
  auto conn = tdb.Connect();
  // Occupy a name migration 1 creates: its transaction fails and leaves nothing behind.
  conn->Execute("CREATE SCHEMA payrecon; CREATE FUNCTION payrecon.transactions_refuse_final_change() RETURNS int "
                "LANGUAGE sql AS 'SELECT 1'");
  try {
    db::Migrate(*conn);
    BOOST_FAIL("the migration passed");
  } catch (const db::QueryError& e) {
    BOOST_TEST(std::string(e.what()).rfind("migration 1 \"create_transactions\" failed: ", 0) == 0u);
  }
  BOOST_TEST(Scalar(*conn, "SELECT to_regclass('payrecon.transactions') IS NULL") == "t");
  BOOST_TEST(db::SchemaStatus(*conn).current == 0);
}

BOOST_AUTO_TEST_CASE(concurrent_migrators_wait_for_each_other) {
  TestDatabase tdb(/*migrate=*/false);
  db::MigrateResult results[2];
  std::string errors[2];
  auto migrator = [&](int i) {
    try {
      auto conn = tdb.Connect();
      results[i] = db::Migrate(*conn);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  };
  std::thread a(migrator, 0);
  std::thread b(migrator, 1);
  a.join();
  b.join();
  BOOST_TEST(errors[0] == "");
  BOOST_TEST(errors[1] == "");
  const std::size_t latest = db::EmbeddedMigrations().size();
  BOOST_TEST(results[0].applied.size() + results[1].applied.size() == latest);
  auto conn = tdb.Connect();
  BOOST_TEST(Scalar(*conn, "SELECT count(*) FROM payrecon.schema_migrations") == std::to_string(latest));
}

BOOST_AUTO_TEST_SUITE_END()
