// The command line of the real `payrecon` binary: help and usage exit codes, suggestions and hints, the
// configuration's path from --config, PAYRECON_CONFIG or the default, commands that make no gateway call running
// without merchant secrets, and connection strings refused as configuration errors.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>

#include "tests/e2e/job_fixture.h"

using namespace payrecon;
using namespace payrecon::testing;

namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

// Runs payrecon with exactly `args` (no --config added) and `env` on top of the test's environment, from which
// PAYRECON_CONFIG is removed so that the default path is what the test says.
ProcessResult Payrecon(const TempDir& dir, const std::vector<std::string>& args, const Env& env = {}) {
  static int n = 0;
  ::unsetenv("PAYRECON_CONFIG");
  ++n;
  return JobProcess(PayreconBinary(), args, env, dir.path() + "/cli" + std::to_string(n) + ".out",
                    dir.path() + "/cli" + std::to_string(n) + ".err")
      .Wait();
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A configuration that needs no database or gateway to be checked: one merchant whose secret comes from `env`.
std::string PlainConfig(const TempDir& dir, const std::string& name, const std::string& conninfo = "host=db") {
  return dir.Write(name, "database:\n  conninfo: \"" + conninfo +
                             "\"\n"
                             "merchants:\n  - merchant_id: MID1\n    access_key_id: key-1\n"
                             "    secret_key_env: PAYRECON_E2E_CLI_SECRET\n");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(help_usage_and_their_exit_codes) {
  TempDir dir;
  ProcessResult r = Payrecon(dir, {"help"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("Usage: payrecon [GLOBAL OPTIONS] COMMAND [ARGS]\n") == 0u);
  BOOST_TEST(r.err == "");
  BOOST_TEST(Payrecon(dir, {"--help"}).out == r.out);

  r = Payrecon(dir, {"help", "run"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("Usage: payrecon run [--limit N]") == 0u);
  const ProcessResult dashed = Payrecon(dir, {"run", "--help"});
  BOOST_TEST(dashed.exit_code == 0);
  BOOST_TEST(dashed.out == r.out);
  r = Payrecon(dir, {"--config", "x.yaml", "discrepancies", "list", "-h"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("Usage: payrecon discrepancies list") == 0u);

  // `payrecon` alone: the usage on stderr, exit 2.
  r = Payrecon(dir, {});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out == "");
  BOOST_TEST(r.err.find("Usage: payrecon") == 0u);

  r = Payrecon(dir, {"--version"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("payrecon ") == 0u);

  // Usage errors: stderr, exit 2, a suggestion where one is near, and always the hint.
  r = Payrecon(dir, {"runn"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out == "");
  BOOST_TEST(Has(r.err, "unknown command 'runn' (did you mean 'run'?); see 'payrecon help'"), r.err);
  r = Payrecon(dir, {"run", "--dryrun", "--config", "x.yaml"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(Has(r.err, "unknown option '--dryrun' for 'run' (did you mean '--dry-run'?); see 'payrecon help run'"),
             r.err);
  // --log-format applies to usage errors too.
  r = Payrecon(dir, {"runn", "--log-format", "text"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("{") != 0u, r.err);
  BOOST_TEST(Has(r.err, "unknown command 'runn'"), r.err);
  r = Payrecon(dir, {"help", "frobnicate"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(Has(r.err, "unknown command 'frobnicate'; see 'payrecon help'"), r.err);
}

BOOST_AUTO_TEST_CASE(configuration_from_option_environment_or_default) {
  TempDir dir;
  const std::string from_env = PlainConfig(dir, "env.yaml");
  const std::string given = PlainConfig(dir, "given.yaml");

  // PAYRECON_CONFIG when --config is absent; global options before the command.
  ProcessResult r =
      Payrecon(dir, {"--log-level", "warn", "config", "check", "--offline"}, {{"PAYRECON_CONFIG", from_env}});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("# configuration file \"" + from_env + "\" (from PAYRECON_CONFIG)\n") == 0u, r.out);

  // --config wins.
  r = Payrecon(dir, {"config", "check", "--offline", "--config", given}, {{"PAYRECON_CONFIG", from_env}});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("# configuration file \"" + given + "\"\n") == 0u, r.out);

  // Errors say which source was used.
  const std::string missing = dir.path() + "/missing.yaml";
  r = Payrecon(dir, {"migrate"}, {{"PAYRECON_CONFIG", missing}});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(Has(r.err, "config file \\\"" + missing + "\\\" (from PAYRECON_CONFIG): cannot read: No such file"),
             r.err);
  // Key problems name the key; a last line names the file when it did not come from --config.
  const std::string bad = dir.Write("bad.yaml", "worker:\n  in_flight: 0\n");
  r = Payrecon(dir, {"migrate"}, {{"PAYRECON_CONFIG", bad}});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(Has(r.err, "worker.in_flight: must be between 1 and 1024, got 0"), r.err);
  BOOST_TEST(Has(r.err, "configuration: in config file \\\"" + bad + "\\\" (from PAYRECON_CONFIG)"), r.err);
  r = Payrecon(dir, {"migrate"}, {{"PAYRECON_CONFIG", ""}});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(Has(r.err, "PAYRECON_CONFIG is set but empty"), r.err);

  r = Payrecon(dir, {"config", "check"});
  if (!std::filesystem::exists("/etc/payrecon/payrecon.yaml")) {
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(Has(r.err, "config file \\\"/etc/payrecon/payrecon.yaml\\\" (the default: no --config given and "
                          "PAYRECON_CONFIG is not set): cannot read"),
               r.err);
  } else {
    BOOST_TEST(Has(r.out + r.err, "/etc/payrecon/payrecon.yaml"));
  }
}

// migrate, import, report, discrepancies and config check --offline run with no merchant secret available; the
// commands that need them (run, config check) still refuse to start without them.
BOOST_AUTO_TEST_CASE(commands_without_gateway_calls_do_not_read_secrets) {
  JobFixture f(JobSetup{{{.id = "c-1"}, {.id = "c-2", .gateway_status = "CaptureApproved"}}});
  ProcessResult r = f.Run({"run"});
  BOOST_REQUIRE(r.exit_code == 0);
  const std::string run_id = Member(RunLine(r.out), "run_id");

  // The fixture's merchant reads PAYRECON_E2E_SECRET_MID1, which is not set below; a second one names a file
  // that does not exist.
  const std::string cfg = f.WriteConfig("no-secrets.yaml", "",
                                        "  - merchant_id: MID2\n    access_key_id: key-2\n"
                                        "    secret_key_file: " + f.dir.path() + "/missing.key\n");
  const std::string csv = f.dir.Write("more.csv", ImportCsv({{.id = "c-3"}}));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"migrate"}, {"import", csv}, {"report", "--run", run_id}, {"discrepancies", "list"},
        {"config", "check", "--offline"}}) {
    std::vector<std::string> full = args;
    full.insert(full.end(), {"--config", cfg});
    r = Payrecon(f.dir, full);
    BOOST_TEST(r.exit_code == 0, args[0] << ": " << r.err);
    BOOST_TEST(!Has(r.err, "secret"), args[0] << ": " << r.err);
  }
  BOOST_TEST(f.Scalar("SELECT count(*) FROM payrecon.transactions WHERE merchant_txn_id = 'c-3'") == "1");
  // Past the configuration: the database answers.
  r = Payrecon(f.dir, {"discrepancies", "resolve", "999999", "--note", "x", "--config", cfg});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(Has(r.err, "discrepancy 999999 not found"), r.err);

  for (const std::vector<std::string>& args : {std::vector<std::string>{"config", "check"}, {"run"}}) {
    std::vector<std::string> full = args;
    full.insert(full.end(), {"--config", cfg});
    r = Payrecon(f.dir, full);
    BOOST_TEST(r.exit_code == 2, args[0]);
    BOOST_TEST(
        Has(r.err, "merchants[0].secret_key_env: environment variable \\\"PAYRECON_E2E_SECRET_MID1\\\" is not set"),
        r.err);
    BOOST_TEST(Has(r.err, "merchants[1].secret_key_file: cannot read file"), r.err);
  }
}

// Before libpq's parser checked it, these passed `config check` (printing the value) and failed `run` at connect
// with exit 3.
BOOST_AUTO_TEST_CASE(bad_connection_strings_are_configuration_errors_everywhere) {
  TempDir dir;
  const Env secret{{"PAYRECON_E2E_CLI_SECRET", "cli-secret"}};
  for (const char* conninfo : {"host=db bogus=1", "host=db PASSWORD = 'hunter2'",
                               "postgresql://u@db/payrecon?PassWord=hunter2", "postgresql://u:hunter2@db/payrecon"}) {
    const std::string cfg = PlainConfig(dir, "bad.yaml", conninfo);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"config", "check"}, {"config", "check", "--offline"}, {"run"}, {"migrate"}}) {
      std::vector<std::string> full = args;
      full.insert(full.end(), {"--config", cfg});
      const ProcessResult r = Payrecon(dir, full, secret);
      BOOST_TEST(r.exit_code == 2, conninfo << " " << args[0]);
      BOOST_TEST(Has(r.err, "database.conninfo: "), r.err);
      BOOST_TEST(!Has(r.out + r.err, "hunter2"), r.out + r.err);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
