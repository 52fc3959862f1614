// The job's failure paths end to end, with the real `payrecon`, PostgreSQL and payrecon-sandbox: signals at any
// time, the database going away, reports that cannot be written. Each ends with its documented exit code, the
// counts of what was really done, and the run's row closed whenever the database can be written. Waiting is
// bounded polling on observable state (rows, files, the job's stderr), never a fixed sleep.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "core/json.h"
#include "tests/e2e/job_fixture.h"
#include "tests/pg/test_database.h"

using namespace payrecon;
using namespace payrecon::testing;
namespace fs = std::filesystem;

namespace {

std::vector<TxnSpec> Charges(int n) {
  std::vector<TxnSpec> v;
  for (int i = 0; i < n; ++i) {
    TxnSpec t;
    t.id = "f" + std::to_string(i);
    t.settle_after_ms = i % 2 == 0 ? "0" : "3600000";
    t.settle_to = "CaptureApproved";
    v.push_back(t);
  }
  return v;
}

std::int64_t Count(JobFixture& f, const std::string& sql) { return std::stoll(f.Scalar(sql)); }

std::int64_t Transitions(JobFixture& f) {
  return Count(f, "SELECT count(*) FROM payrecon.transaction_events WHERE event_type = 'transition'");
}

// Hidden `.….tmp` folders a run leaves in the reports folder.
std::vector<std::string> TmpFolders(const std::string& reports_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(reports_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.front() == '.' && name.size() > 4 && name.substr(name.size() - 4) == ".tmp") out.push_back(e.path());
  }
  return out;
}

// A run that checks 2000 charges at 50 ms each: long enough to be caught in the middle.
JobSetup SlowRun() { return JobSetup{Charges(2000), "  in_flight: 4\n  batch_size: 100\n", {"--faults", "{\"latency_ms\":50}"}}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(failure_paths)

// A terminal closing or a supervisor's HUP stops the run like SIGTERM: exit 6, claims released, the run's row
// closed, the reports committed, no temporary folder left (it used to die with 129 and leave all three).
BOOST_AUTO_TEST_CASE(sighup_stops_the_run_like_sigterm) {
  JobFixture f(SlowRun());
  auto p = f.Start({"run"});
  f.WaitFor("some transitions", [&] { return Transitions(f) >= 20; });
  p->Signal(SIGHUP);
  const ProcessResult r = p->Wait(std::chrono::seconds(30));
  BOOST_TEST(r.exit_code == 6);
  const core::JsonValue line = RunLine(r.out);
  BOOST_TEST(Member(line, "exit_code") == "6");
  BOOST_TEST(std::stoll(Member(line, "transitions")) == Transitions(f));
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);
  BOOST_TEST(f.Scalar("SELECT outcome || ':' || exit_code FROM payrecon.runs") == "interrupted:6");
  BOOST_TEST(TmpFolders(f.reports_dir).empty());
  BOOST_TEST(fs::exists(Member(line, "report_dir") + "/summary.json"));
  BOOST_TEST(r.err.find("interrupted by a signal") != std::string::npos);
}

// A SIGTERM that arrives while the configuration is still being read gives the documented exit 6, not 143.
// The configuration is a FIFO, so the job is provably inside its loading when the signal arrives.
BOOST_AUTO_TEST_CASE(sigterm_before_the_configuration_is_loaded_exits_6) {
  TempDir dir;
  const std::string fifo = dir.path() + "/config.yaml";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  JobProcess p(PayreconBinary(), {"run", "--config", fifo}, {{"FAILURE_E2E_SECRET", "s"}}, dir.path() + "/out.txt",
               dir.path() + "/err.txt");
  // Opening a FIFO for writing without blocking succeeds only once a reader has it open: the job is reading.
  int fd = -1;
  for (int i = 0; i < 12'000 && fd < 0; ++i) {
    fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd < 0) {
      BOOST_REQUIRE(!p.Exited());
      ::usleep(5'000);
    }
  }
  BOOST_REQUIRE(fd >= 0);
  p.Signal(SIGTERM);
  const std::string config =
      "database:\n  conninfo: \"host=/nonexistent dbname=x\"\n"
      "merchants:\n  - {merchant_id: M1, access_key_id: K1, secret_key_env: FAILURE_E2E_SECRET}\n";
  BOOST_REQUIRE(::write(fd, config.data(), config.size()) == static_cast<ssize_t>(config.size()));
  ::close(fd);
  const ProcessResult r = p.Wait(std::chrono::seconds(30));
  BOOST_TEST(r.exit_code == 6);
  BOOST_TEST(r.err.find("before the command started") != std::string::npos);
}

// The database goes away mid-run (connections refused, like a server restarting), then SIGTERM: the job stops
// waiting at once and exits 6 instead of retrying until its deadline; its line and logs carry what it really
// did. The run's row cannot be closed while the database is away, so `report --run` afterwards says the run has
// no exit code rather than a clean 0.
BOOST_AUTO_TEST_CASE(sigterm_while_the_database_is_unavailable_exits_6_promptly_with_real_counts) {
  JobFixture f(SlowRun());
  auto p = f.Start({"run", "--deadline", "10m"});
  f.WaitFor("some transitions", [&] { return Transitions(f) >= 20; });
  // From the maintenance database: a database cannot close itself to connections.
  db::Connection admin(WithDatabase(TestDatabaseUrl(), "postgres"));
  admin.Execute("ALTER DATABASE \"" + f.database.name() + "\" ALLOW_CONNECTIONS false");
  const std::string ours = f.Scalar("SELECT pg_backend_pid()");  // the test's own connection stays
  admin.Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2::integer",
              {f.database.name(), ours});
  const std::int64_t applied = Transitions(f);  // nothing more can be applied from now on
  f.WaitFor("the job waiting for the database",
            [&] { return p->Stderr().find("database unavailable during") != std::string::npos; });
  p->Signal(SIGTERM);
  const ProcessResult r = p->Wait(std::chrono::seconds(20));
  admin.Execute("ALTER DATABASE \"" + f.database.name() + "\" ALLOW_CONNECTIONS true");
  BOOST_TEST(r.exit_code == 6);
  const core::JsonValue line = RunLine(r.out);
  BOOST_TEST(Member(line, "exit_code") == "6");
  BOOST_TEST(std::stoll(Member(line, "transitions")) == applied);
  BOOST_TEST(std::stoll(Member(line, "checked")) >= applied);
  BOOST_TEST(r.err.find("while the database was unavailable") != std::string::npos);
  BOOST_TEST(r.err.find("\"transitions\":" + std::to_string(applied)) != std::string::npos);
  const std::string run_id = Member(line, "run_id");
  BOOST_TEST(f.Scalar("SELECT coalesce(exit_code::text, 'open') FROM payrecon.runs") == "open");

  const ProcessResult report = f.Run({"report", "--run", run_id});
  BOOST_TEST(report.exit_code == 0);
  const core::JsonValue rl = RunLine(report.out);
  BOOST_TEST((rl.Find("exit_code")->type() == core::JsonValue::Type::kNull));
  BOOST_TEST(Member(rl, "outcome") == "running");  // its claims are still leased: it may yet finish
  const auto summary = core::ParseJson(ReadFile(Member(rl, "report_dir") + "/summary.json"));
  BOOST_TEST((summary->Find("exit_code")->type() == core::JsonValue::Type::kNull));
}

// The reports cannot be committed after the run did its work (their folder vanished, as on a full or failing
// disk): exit 5, and the run's row is closed with exit 5, its outcome and the real counts, because the database
// is still there.
BOOST_AUTO_TEST_CASE(a_run_failing_after_its_work_closes_its_row_with_the_real_counts) {
  JobFixture f(JobSetup{Charges(200), "  in_flight: 4\n  batch_size: 20\n", {"--faults", "{\"latency_ms\":20}"}});
  auto p = f.Start({"run"});
  // The report disk "fails" only when the run finishes its reports: a folder where summary.json must go. The
  // folder is placed once the run has created its four CSV files (removing the whole folder could also hit the
  // run while it is still creating them, before any work). The sandbox's latency keeps the run busy for a second.
  std::vector<std::string> tmp;
  f.WaitFor("the report folder and its CSV files", [&] {
    tmp = TmpFolders(f.reports_dir);
    return !tmp.empty() && fs::exists(tmp.at(0) + "/pending.csv.gz");
  });
  fs::create_directory(tmp.at(0) + "/summary.json");
  const ProcessResult r = p->Wait(std::chrono::seconds(60));
  BOOST_TEST(r.exit_code == 5);
  const core::JsonValue line = RunLine(r.out);
  BOOST_TEST(Member(line, "exit_code") == "5");
  BOOST_TEST(std::stoll(Member(line, "checked")) == 200);
  BOOST_TEST(std::stoll(Member(line, "transitions")) == 100);
  BOOST_TEST(Transitions(f) == 100);
  BOOST_TEST(f.Scalar("SELECT outcome || ':' || exit_code || ':' || (counts->>'checked') || ':' ||"
                      " (finished_at IS NOT NULL)::text FROM payrecon.runs") == "reports_not_writable:5:200:true");
  BOOST_TEST(Count(f, "SELECT count(*) FROM payrecon.transactions WHERE lease_run_id IS NOT NULL") == 0);
  // `report --run` tells the same story.
  const ProcessResult report = f.Run({"report", "--run", Member(line, "run_id")});
  BOOST_TEST(report.exit_code == 0);
  BOOST_TEST(Member(RunLine(report.out), "exit_code") == "5");
}

BOOST_AUTO_TEST_SUITE_END()
