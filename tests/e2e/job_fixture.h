#pragma once
// End-to-end set-up for the job: a fresh migrated database (PAYRECON_TEST_DATABASE_URL), the real
// payrecon-sandbox with a scenario, a configuration file pointing at both, and the real `payrecon` binary run as
// a subprocess (stdout and stderr captured to files). Waiting is bounded polling on observable state.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "db/connection.h"
#include "tests/pg/test_database.h"
#include "tests/support/sandbox_merchants.h"
#include "tests/support/sandbox_process.h"

namespace payrecon::testing {

inline constexpr const char* kSecretEnv = "PAYRECON_E2E_SECRET_MID1";

// One transaction of a test: what we hold (imported) and what the sandbox says (scenario).
struct TxnSpec {
  std::string kind = "charge";
  std::string merchant_id = "MID1";
  std::string id;                    // merchant_txn_id
  std::string parent;                // refunds
  std::string amount = "15.00";
  std::string currency = "INR";
  std::string status;                // ours; default: the kind's pending status
  std::string created_at;            // ours; default: 10 minutes ago
  bool at_gateway = true;            // false: the sandbox does not know it (NOT_FOUND)
  std::string gateway_status;        // the sandbox's; default: ours
  std::string gateway_currency;      // default: ours
  std::string settle_after_ms;       // with settle_to
  std::string settle_to;
  std::string approved_amount;
  std::string fault;
};

std::string ImportCsv(const std::vector<TxnSpec>& txns);
std::string ScenarioCsv(const std::vector<TxnSpec>& txns);

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// A running `payrecon`. The destructor kills it (SIGKILL) if it still runs.
class JobProcess {
 public:
  JobProcess(const std::string& binary, const std::vector<std::string>& args,
             const std::vector<std::pair<std::string, std::string>>& env, const std::string& out_file,
             const std::string& err_file);
  ~JobProcess();
  JobProcess(const JobProcess&) = delete;
  JobProcess& operator=(const JobProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Whether it has exited (reaps it).
  bool Exited();
  // Waits at most `timeout`; fails the test when it does not end in time.
  ProcessResult Wait(std::chrono::milliseconds timeout = std::chrono::minutes(3));
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string out_file_;
  std::string err_file_;
};

struct JobSetup {
  std::vector<TxnSpec> txns;
  std::string worker_yaml;                  // extra lines under `worker:` (two-space indented)
  std::vector<std::string> sandbox_args;    // e.g. --faults '{"latency_ms":20}'
  bool import = true;                       // import txns (ours) before the test body
};

class JobFixture {
 public:
  explicit JobFixture(JobSetup setup);

  // Runs `payrecon ARGS --config <config>` to completion.
  ProcessResult Run(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::minutes(3));
  std::unique_ptr<JobProcess> Start(std::vector<std::string> args);
  // Writes a configuration with `worker_yaml` and returns its path (the fixture's own is config_path).
  std::string WriteConfig(const std::string& name, const std::string& worker_yaml,
                          const std::string& extra_merchants_yaml = "", const std::string& reports_yaml = "") const;

  // One value (first column of the first row; "" for NULL); fails when there is no row.
  std::string Scalar(const std::string& sql);
  std::vector<db::Row> Query(const std::string& sql);
  // A digest of every row of every table in the payrecon schema, and of its sequences' positions.
  std::string SchemaDigest(bool with_sequences = true);
  // Polls `condition` every 5 ms for at most `timeout`; fails the test with `what` when it never holds.
  void WaitFor(const std::string& what, const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

  TempDir dir;
  TestDatabase database;
  std::unique_ptr<db::Connection> conn;
  std::unique_ptr<SandboxProcess> sandbox;
  std::string config_path;
  std::string reports_dir;

 private:
  int runs_ = 0;
};

// Parses the one JSON line a `run` or `backfill` prints; fails the test when it is not one JSON object.
core::JsonValue RunLine(const std::string& out);
std::string Member(const core::JsonValue& o, const std::string& key);
// A report file's text: a path ending in ".gz" (reports.compress: gzip, the default) is decompressed strictly,
// and fails the test unless it is one whole gzip stream; any other path is read as it is.
std::string ReadReport(const std::string& path);
// A CSV file's records (header included; read with ReadReport), parsed strictly.
std::vector<std::vector<std::string>> ReadCsv(const std::string& path);
// Every file under `dir`, recursively, as one string (for secret scans), gzip'd files decompressed.
std::string ReadTree(const std::string& dir);

std::string PayreconBinary();

// Now minus `m`, as ISO 8601 UTC: a created_at for a handed-over transaction of that age.
std::string Ago(std::chrono::minutes m);

// Runs headless Chromium (/usr/bin/chromium) on a local file with `extra` arguments (e.g. --dump-dom), with no
// background traffic and its profile under `dir`. Missing Chromium or a failed run fails the test: scripts/setup.sh
// installs it.
ProcessResult Chromium(const TempDir& dir, const std::string& name, std::vector<std::string> extra,
                       const std::string& html_path);

// The big-endian 32-bit number at byte `at` of `s` (a PNG header's width and height).
std::uint32_t BigEndian32(const std::string& s, std::size_t at);

}  // namespace payrecon::testing
