#include <boost/test/unit_test.hpp>

#include "jobs/cli.h"
#include "jobs/exit_code.h"

using namespace payrecon;
using jobs::Command;
using jobs::ParseCommandLine;

namespace {
// The usage error's message, or "ok".
std::string Error(std::vector<std::string> args) {
  try {
    ParseCommandLine(args);
    return "ok";
  } catch (const jobs::JobError& e) {
    BOOST_TEST((e.code() == jobs::ExitCode::kUsage));
    return e.what();
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(run_with_every_option) {
  auto cl = ParseCommandLine({"run", "--config", "c.yaml", "--limit", "10", "--deadline=90m", "--dry-run", "--strict"});
  BOOST_TEST((cl.command == Command::kRun));
  BOOST_TEST(cl.config_path == "c.yaml");
  BOOST_TEST(*cl.limit == 10);
  BOOST_TEST(cl.deadline->count() == 5'400'000);
  BOOST_TEST(cl.dry_run);
  BOOST_TEST(cl.strict);
}

BOOST_AUTO_TEST_CASE(backfill_window_and_filters) {
  auto cl = ParseCommandLine({"backfill", "--from", "2026-01-01", "--to", "2026-01-31", "--kind", "refund",
                              "--merchant", "M1", "--config", "c.yaml"});
  BOOST_TEST((cl.command == Command::kBackfill));
  BOOST_TEST(core::FormatIso8601(*cl.from) == "2026-01-01T00:00:00Z");
  BOOST_TEST(core::FormatIso8601(*cl.to) == "2026-02-01T00:00:00Z");  // a plain --to date includes its day
  BOOST_TEST((*cl.kind == core::Kind::kRefund));
  BOOST_TEST(*cl.merchant == "M1");
  auto instants = ParseCommandLine({"backfill", "--from", "2026-01-01T10:00:00+05:30", "--to",
                                    "2026-01-01T12:00:00Z", "--config", "c"});
  BOOST_TEST(core::FormatIso8601(*instants.from) == "2026-01-01T04:30:00Z");
  BOOST_TEST(core::FormatIso8601(*instants.to) == "2026-01-01T12:00:00Z");
  auto resume = ParseCommandLine({"backfill", "--resume", "r-1", "--config", "c"});
  BOOST_TEST(*resume.resume == "r-1");
}

BOOST_AUTO_TEST_CASE(other_commands) {
  BOOST_TEST((ParseCommandLine({"migrate", "--config", "c"}).command == Command::kMigrate));
  auto imp = ParseCommandLine({"import", "t.csv", "--config", "c"});
  BOOST_TEST(imp.import_path == "t.csv");
  auto rep = ParseCommandLine({"report", "--run", "abc", "--config", "c"});
  BOOST_TEST(rep.run_id == "abc");
  BOOST_TEST((ParseCommandLine({"config", "check", "--config", "c"}).command == Command::kConfigCheck));
  BOOST_TEST((ParseCommandLine({"--help"}).command == Command::kHelp));
  BOOST_TEST((ParseCommandLine({"version"}).command == Command::kVersion));
}

BOOST_AUTO_TEST_CASE(usage_errors_name_the_problem) {
  BOOST_TEST(Error({}) == "missing command");
  BOOST_TEST(Error({"frobnicate"}) == "unknown command 'frobnicate'");
  BOOST_TEST(Error({"run"}) == "option '--config' is required");
  BOOST_TEST(Error({"run", "--config"}) == "option '--config' needs a value");
  BOOST_TEST(Error({"run", "--config", "c", "--limt", "3"}) == "unknown option '--limt' for 'run'");
  BOOST_TEST(Error({"run", "--config", "c", "--limit", "0"}) == "option '--limit': expected a positive integer, got '0'");
  BOOST_TEST(Error({"run", "--config", "c", "--limit", "3x"}) == "option '--limit': expected a positive integer, got '3x'");
  BOOST_TEST(Error({"run", "--config", "c", "--deadline", "10"}) ==
             "option '--deadline': invalid duration '10' (a positive whole number with a unit: 500ms, 90s, 15m, 2h)");
  BOOST_TEST(Error({"run", "--config", "c", "--config", "d"}) == "option '--config' given twice");
  BOOST_TEST(Error({"run", "--config", "c", "--dry-run=yes"}) == "option '--dry-run' takes no value");
  BOOST_TEST(Error({"run", "--config", "c", "extra"}) == "unexpected argument 'extra'");
  BOOST_TEST(Error({"migrate", "--config", "c", "--limit", "3"}) == "unknown option '--limit' for 'migrate'");
  BOOST_TEST(Error({"import", "--config", "c"}) == "'import' needs a FILE.csv");
  BOOST_TEST(Error({"report", "--config", "c"}) == "option '--run' is required");
  BOOST_TEST(Error({"config", "--config", "c"}) == "unknown command 'config --config' (did you mean 'config check'?)");
  BOOST_TEST(Error({"backfill", "--config", "c"}) == "options '--from' and '--to' are required (or '--resume')");
  BOOST_TEST(Error({"backfill", "--config", "c", "--from", "2026-02-01", "--to", "2026-01-01"}) ==
             "option '--from' must be before '--to'");
  BOOST_TEST(Error({"backfill", "--config", "c", "--from", "yesterday", "--to", "2026-01-01"}) ==
             "option '--from': invalid date 'yesterday' (expected YYYY-MM-DD or an ISO 8601 time with a zone)");
  BOOST_TEST(Error({"backfill", "--config", "c", "--from", "2026-01-01", "--to", "2026-02-01", "--kind", "payment"}) ==
             "option '--kind': expected charge, refund or topup, got 'payment'");
  BOOST_TEST(Error({"run", "-x", "--config", "c"}) == "unexpected argument '-x'");
}

BOOST_AUTO_TEST_CASE(deadline_uses_the_configuration_duration_grammar) {
  const auto deadline = [](const std::string& text) {
    return ParseCommandLine({"run", "--config", "c", "--deadline", text}).deadline->count();
  };
  BOOST_TEST(deadline("90s") == 90'000);
  BOOST_TEST(deadline("500ms") == 500);
  BOOST_TEST(deadline("2h") == 7'200'000);
  for (const char* bad : {"0s", "s", "5 m", "-5s", "1.5h", "1m30s"}) {
    BOOST_TEST(Error({"run", "--config", "c", "--deadline", bad}) ==
                   "option '--deadline': invalid duration '" + std::string(bad) +
                       "' (a positive whole number with a unit: 500ms, 90s, 15m, 2h)",
               bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
