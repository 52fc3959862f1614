// Logs and metrics end to end (issue 5): the real `payrecon` against a fresh database and payrecon-sandbox; its
// stderr parsed as JSON lines; its metrics checked by Debian's promtool and pushed to a real Pushgateway
// (prometheus-pushgateway), read back from that Pushgateway's /metrics page.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "core/json.h"
#include "core/time.h"
#include "tests/e2e/job_fixture.h"

using namespace payrecon;
using namespace payrecon::testing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr const char* kPushgateway = "/usr/bin/prometheus-pushgateway";

// c0..c{n-1}: even ones approved at the gateway, odd ones still pending there; plus a currency mismatch and a
// charge pending for two hours (STUCK_PENDING) so discrepancies exist.
std::vector<TxnSpec> Scenario(int n) {
  std::vector<TxnSpec> v;
  for (int i = 0; i < n; ++i) {
    TxnSpec t;
    t.id = "c" + std::to_string(i);
    t.settle_after_ms = i % 2 == 0 ? "0" : "3600000";
    t.settle_to = "CaptureApproved";
    v.push_back(t);
  }
  TxnSpec usd;
  usd.id = "usd";
  usd.gateway_currency = "USD";
  v.push_back(usd);
  TxnSpec stuck;
  stuck.id = "stuck";
  stuck.created_at = Ago(std::chrono::minutes(120));
  v.push_back(stuck);
  return v;
}

// Every line of `err`, each parsed as one JSON object; fails the test on a line that is not one.
std::vector<core::JsonValue> JsonLines(const std::string& err) {
  std::vector<core::JsonValue> lines;
  std::size_t start = 0;
  while (start < err.size()) {
    const std::size_t nl = err.find('\n', start);
    BOOST_REQUIRE_MESSAGE(nl != std::string::npos, "stderr does not end with a newline: " << err.substr(start));
    const std::string line = err.substr(start, nl - start);
    start = nl + 1;
    auto parsed = core::ParseJson(line);
    BOOST_REQUIRE_MESSAGE(parsed.ok() && parsed->is_object(), "not a JSON object: " << line);
    lines.push_back(*parsed);
  }
  return lines;
}

std::string Text(const core::JsonValue& o, const std::string& key) {
  const core::JsonValue* v = o.Find(key);
  return v ? v->text() : std::string("<missing>");
}

// The lines whose msg is `msg`.
std::vector<const core::JsonValue*> WithMsg(const std::vector<core::JsonValue>& lines, const std::string& msg) {
  std::vector<const core::JsonValue*> out;
  for (const auto& l : lines) {
    if (Text(l, "msg") == msg) out.push_back(&l);
  }
  return out;
}

// Checks the JSON log contract on every line: ts, level, msg, the run's id.
void CheckJsonLog(const std::vector<core::JsonValue>& lines, const std::string& run_id) {
  static const std::regex kTs(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  static const std::set<std::string> kLevels = {"debug", "info", "warn", "error"};
  BOOST_REQUIRE(!lines.empty());
  for (const auto& l : lines) {
    const std::string line = core::SerializeJson(l);
    BOOST_TEST_CONTEXT(line) {
      BOOST_TEST(std::regex_match(Text(l, "ts"), kTs));
      BOOST_TEST(kLevels.count(Text(l, "level")) == 1u);
      BOOST_TEST(l.Find("msg") != nullptr);
      BOOST_TEST(Text(l, "run_id") == run_id);
    }
  }
}

std::uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A plain HTTP/1.0 GET on 127.0.0.1; status 0 when nothing answers.
HttpResult HttpGet(std::uint16_t port, const std::string& target) {
  HttpResult r;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return r;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return r;
  }
  const std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return r;
  }
  std::string response;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return r;
  r.status = std::stoi(response.substr(9, 3));
  const std::size_t body = response.find("\r\n\r\n");
  if (body != std::string::npos) r.body = response.substr(body + 4);
  return r;
}

// A real Pushgateway on a free loopback port, ready when constructed; killed on destruction.
class Pushgateway {
 public:
  explicit Pushgateway(const TempDir& dir) : port_(FreePort()) {
    BOOST_REQUIRE_MESSAGE(fs::exists(kPushgateway), kPushgateway << " is missing: run scripts/setup.sh");
    process_ = std::make_unique<JobProcess>(
        kPushgateway, std::vector<std::string>{"--web.listen-address=127.0.0.1:" + std::to_string(port_)},
        std::vector<std::pair<std::string, std::string>>{}, dir.path() + "/pushgateway.out",
        dir.path() + "/pushgateway.err");
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (HttpGet(port_, "/-/ready").status != 200) {
      BOOST_REQUIRE_MESSAGE(!process_->Exited(), "the Pushgateway exited: " << process_->Stderr());
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, "the Pushgateway did not become ready");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string Metrics() const {
    const HttpResult r = HttpGet(port_, "/metrics");
    BOOST_REQUIRE_MESSAGE(r.status == 200, "GET /metrics: " << r.status);
    return r.body;
  }

 private:
  std::uint16_t port_;
  std::unique_ptr<JobProcess> process_;
};

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

// Samples of the text exposition format (label values without escapes, as ours are).
std::vector<Sample> ParseSamples(const std::string& text) {
  static const std::regex kLine(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$)");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)\")");
  std::vector<Sample> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_match(line, m, kLine), "not a sample: " << line);
    Sample s{m[1], {}, m[4]};
    const std::string labels = m[3];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), kLabel); it != std::sregex_iterator(); ++it) {
      s.labels[(*it)[1]] = (*it)[2];
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool Matches(const Sample& s, const std::string& name, const std::map<std::string, std::string>& filter) {
  if (s.name != name) return false;
  for (const auto& [k, v] : filter) {
    auto it = s.labels.find(k);
    if (it == s.labels.end() || it->second != v) return false;
  }
  return true;
}

// Sum of the integer-valued samples that match (counts: "12" or "1.2e+01" both read exactly).
std::int64_t Sum(const std::vector<Sample>& samples, const std::string& name,
                 const std::map<std::string, std::string>& filter = {}) {
  std::int64_t total = 0;
  for (const auto& s : samples) {
    if (Matches(s, name, filter)) total += static_cast<std::int64_t>(std::stod(s.value));
  }
  return total;
}

std::size_t CountOf(const std::vector<Sample>& samples, const std::string& name,
                    const std::map<std::string, std::string>& filter = {}) {
  std::size_t n = 0;
  for (const auto& s : samples) n += Matches(s, name, filter);
  return n;
}

std::string ValueOf(const std::vector<Sample>& samples, const std::string& name,
                    const std::map<std::string, std::string>& filter) {
  std::string v = "<none>";
  std::size_t n = 0;
  for (const auto& s : samples) {
    if (Matches(s, name, filter)) {
      v = s.value;
      ++n;
    }
  }
  BOOST_TEST_CONTEXT(name) { BOOST_TEST(n <= 1u); }
  return v;
}

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The fixture's configuration plus a `metrics` section.
std::string ConfigWithMetrics(JobFixture& f, const std::string& name, const std::string& worker_yaml,
                              const std::string& metrics_yaml) {
  const std::string path = f.WriteConfig(name, worker_yaml);
  return f.dir.Write(name, ReadFile(path) + "metrics:\n" + metrics_yaml);
}

// Runs `promtool check metrics` on a file: its exit code and what it printed.
std::pair<int, std::string> Promtool(const TempDir& dir, const std::string& file) {
  BOOST_REQUIRE_MESSAGE(fs::exists(kPromtool), kPromtool << " is missing: run scripts/setup.sh");
  const std::string out = dir.path() + "/promtool.out";
  const int status = std::system((std::string(kPromtool) + " check metrics < '" + file + "' > '" + out + "' 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out)};
}

std::int64_t Int(const core::JsonValue& o, const std::string& key) { return std::stoll(Member(o, key)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(observability)

// Acceptance 1: stderr is JSON lines when not a terminal, each with the run id; no secret anywhere in it.
BOOST_AUTO_TEST_CASE(stderr_is_json_lines_with_the_run_id_and_no_secret) {
  JobFixture f(JobSetup{Scenario(100), "  in_flight: 1\n  batch_size: 20\n  progress_interval: 1s\n",
                        {"--faults", "{\"latency_ms\":25}"}});
  const std::string textfile = f.dir.path() + "/payrecon.prom";
  const std::string cfg =
      ConfigWithMetrics(f, "logs.yaml", "  in_flight: 1\n  batch_size: 20\n  progress_interval: 1s\n",
                        "  textfile: " + textfile + "\n");
  std::string all_err;

  // `run`, at debug level (the most output): start, progress, end, all with the run id.
  ProcessResult r = f.Run({"run", "--config", cfg, "--log-level", "debug"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  all_err += r.err;
  const core::JsonValue run = RunLine(r.out);
  const std::string run_id = Member(run, "run_id");
  auto lines = JsonLines(r.err);
  CheckJsonLog(lines, run_id);
  auto started = WithMsg(lines, "run started");
  BOOST_REQUIRE(started.size() == 1u);
  BOOST_TEST(Text(*started[0], "mode") == "run");
  BOOST_TEST((started[0]->Find("dry_run")->type() == core::JsonValue::Type::kBool));
  BOOST_TEST(Text(*started[0], "report_dir") == Member(run, "report_dir"));
  auto finished = WithMsg(lines, "run finished");
  BOOST_REQUIRE(finished.size() == 1u);
  for (const char* key : {"checked", "transitions", "discrepancies", "errors", "still_pending", "exit_code"}) {
    BOOST_TEST_CONTEXT(key) { BOOST_TEST(Int(*finished[0], key) == Int(run, key)); }
  }
  BOOST_TEST(Int(run, "checked") == 102);
  BOOST_TEST(&lines.front() == started[0]);  // the first line is the start line
  auto progress = WithMsg(lines, "run progress");
  BOOST_REQUIRE_MESSAGE(!progress.empty(), "no progress line in a run of several seconds:\n" << r.err);
  for (const auto* p : progress) {
    BOOST_TEST(Int(*p, "checked") >= 0);
    BOOST_TEST(Int(*p, "checked") <= 102);
    BOOST_TEST(Int(*p, "rate_per_s") >= 0);
    BOOST_TEST(p->Find("elapsed_s") != nullptr);
  }
  BOOST_TEST(!WithMsg(lines, "metrics written to \"" + textfile + "\"").empty());

  // `backfill`: its progress lines know the total.
  r = f.Run({"backfill", "--config", cfg, "--from", "2000-01-01", "--to", "2100-01-01"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  all_err += r.err;
  const std::string backfill_id = Member(RunLine(r.out), "run_id");
  BOOST_TEST(backfill_id != run_id);
  lines = JsonLines(r.err);
  CheckJsonLog(lines, backfill_id);
  BOOST_TEST(WithMsg(lines, "backfill started").size() == 1u);
  BOOST_TEST(WithMsg(lines, "backfill finished").size() == 1u);
  progress = WithMsg(lines, "backfill progress");
  BOOST_REQUIRE(!progress.empty());
  BOOST_TEST(Int(*progress[0], "total") == 102);

  // A failing run (a wrong secret: exit 4) still logs JSON lines with its id, and does not echo the secret used.
  auto p = std::make_unique<JobProcess>(
      PayreconBinary(), std::vector<std::string>{"backfill", "--config", cfg, "--from", "2000-01-01", "--to", "2100-01-01"},
      std::vector<std::pair<std::string, std::string>>{{kSecretEnv, "WRONG_SECRET_XYZ"}}, f.dir.path() + "/w.out",
      f.dir.path() + "/w.err");
  r = p->Wait();
  BOOST_TEST(r.exit_code == 4);
  all_err += r.err;
  lines = JsonLines(r.err);
  CheckJsonLog(lines, Member(RunLine(r.out), "run_id"));
  BOOST_TEST(WithMsg(lines, "backfill finished").size() == 1u);

  // Never a secret or the signature material.
  BOOST_TEST(all_err.find(kSecretOne) == std::string::npos);
  BOOST_TEST(all_err.find("SANDBOX_SECRET_TWO") == std::string::npos);
  BOOST_TEST(all_err.find("WRONG_SECRET_XYZ") == std::string::npos);
  BOOST_TEST(all_err.find("Signature=") == std::string::npos);
  BOOST_TEST(all_err.find("Authorization") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(text_format_and_levels) {
  JobFixture f(JobSetup{Scenario(4)});
  // Text on request: readable lines, each naming the run.
  ProcessResult r = f.Run({"run", "--log-format", "text"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string run_id = Member(RunLine(r.out), "run_id");
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z payrecon (debug|info|warn|error) \[run ([0-9a-f-]{36})\]: .*)");
  std::size_t start = 0;
  int count = 0;
  while (start < r.err.size()) {
    const std::size_t nl = r.err.find('\n', start);
    BOOST_REQUIRE(nl != std::string::npos);
    const std::string l = r.err.substr(start, nl - start);
    start = nl + 1;
    std::smatch m;
    BOOST_TEST_CONTEXT(l) {
      BOOST_REQUIRE(std::regex_match(l, m, line));
      BOOST_TEST(m[2] == run_id);
    }
    ++count;
  }
  BOOST_TEST(count >= 2);
  BOOST_TEST(r.err.find(": run finished mode=run exit_code=0 stop=done checked=6 ") != std::string::npos);

  // --log-level warn: a clean run says nothing on stderr.
  r = f.Run({"run", "--log-level", "warn"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err == "");

  // Before a run exists, lines have no run id; bad values are usage errors.
  r = f.Run({"run", "--log-format", "xml"});
  BOOST_TEST(r.exit_code == 2);
  auto lines = JsonLines(r.err);
  BOOST_REQUIRE(!lines.empty());
  BOOST_TEST(Text(lines[0], "msg") == "option '--log-format': expected json or text, got 'xml'; see 'payrecon help run'");
  BOOST_TEST(lines[0].Find("run_id") == nullptr);
  r = f.Run({"migrate", "--log-level", "loud"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("option '--log-level': expected debug, info, warn or error, got 'loud'") != std::string::npos);
}

// Acceptance 2: the textfile passes promtool; run and backfill share it; a failed run keeps the last success.
BOOST_AUTO_TEST_CASE(textfile_passes_promtool_and_keeps_the_last_success) {
  JobFixture f(JobSetup{Scenario(20)});
  const std::string folder = f.dir.path() + "/textfile";
  fs::create_directories(folder);
  const std::string textfile = folder + "/payrecon.prom";
  const std::string cfg = ConfigWithMetrics(f, "tf.yaml", "", "  textfile: " + textfile + "\n");

  const auto before = std::chrono::system_clock::now();
  ProcessResult r = f.Run({"run", "--config", cfg});
  const auto after = std::chrono::system_clock::now();
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const core::JsonValue run = RunLine(r.out);
  auto [rc, out] = Promtool(f.dir, textfile);
  BOOST_TEST(rc == 0);
  BOOST_TEST(out == "");
  std::vector<Sample> s = ParseSamples(ReadFile(textfile));
  const std::map<std::string, std::string> run_mode = {{"mode", "run"}};
  BOOST_TEST(Sum(s, "payrecon_last_run_checks", run_mode) == Int(run, "checked"));
  BOOST_TEST(Sum(s, "payrecon_last_run_checks", {{"mode", "run"}, {"kind", "charge"}, {"outcome", "OBSERVED"}}) == 22);
  BOOST_TEST(Sum(s, "payrecon_last_run_transitions",
                 {{"mode", "run"}, {"kind", "charge"}, {"from", "CapturePending"}, {"to", "CaptureApproved"}}) ==
             Int(run, "transitions"));
  BOOST_TEST(Int(run, "transitions") == 10);
  BOOST_TEST(Sum(s, "payrecon_last_run_discrepancies_raised", run_mode) == Int(run, "discrepancies"));
  BOOST_TEST(Sum(s, "payrecon_last_run_discrepancies_raised", {{"mode", "run"}, {"code", "CURRENCY_MISMATCH"}}) == 1);
  BOOST_TEST(Sum(s, "payrecon_last_run_discrepancies_raised", {{"mode", "run"}, {"code", "STUCK_PENDING"}}) == 1);
  BOOST_TEST(Sum(s, "payrecon_open_discrepancies", run_mode) ==
             std::stoll(f.Scalar("SELECT count(*) FROM payrecon.discrepancies WHERE resolved_at IS NULL")));
  BOOST_TEST(Sum(s, "payrecon_pending_transactions", run_mode) == Int(run, "still_pending"));
  BOOST_TEST(Sum(s, "payrecon_pending_transactions", {{"mode", "run"}, {"kind", "charge"}, {"age", "1h-1d"}}) == 1);
  BOOST_TEST(Sum(s, "payrecon_last_run_gateway_latency_seconds_count", run_mode) == Int(run, "checked"));
  BOOST_TEST(ValueOf(s, "payrecon_run_exit_code", run_mode) == "0");
  const double oldest = std::stod(ValueOf(s, "payrecon_oldest_pending_age_seconds", {{"mode", "run"}, {"kind", "charge"}}));
  BOOST_TEST(oldest >= 7200.0);
  BOOST_TEST(oldest < 7200.0 + 120.0);
  const std::string success = ValueOf(s, "payrecon_last_success_timestamp_seconds", run_mode);
  BOOST_TEST(std::stod(success) >= Seconds(before) - 0.001);
  BOOST_TEST(std::stod(success) <= Seconds(after) + 0.001);

  // A backfill adds its own mode's samples; the run's stay.
  r = f.Run({"backfill", "--config", cfg, "--from", "2000-01-01", "--to", "2100-01-01"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::tie(rc, out) = Promtool(f.dir, textfile);
  BOOST_TEST(rc == 0);
  BOOST_TEST(out == "");
  s = ParseSamples(ReadFile(textfile));
  BOOST_TEST(Sum(s, "payrecon_last_run_checks", run_mode) == Int(run, "checked"));
  BOOST_TEST(Sum(s, "payrecon_last_run_checks", {{"mode", "backfill"}}) == Int(RunLine(r.out), "checked"));
  BOOST_TEST(CountOf(s, "payrecon_last_success_timestamp_seconds") == 2u);

  // A run that fails (reports not writable: exit 5) reports its exit code and zero checks, and keeps the time of
  // the last success and the database gauges it did not read.
  const std::string blocked = ConfigWithMetrics(f, "blocked.yaml", "", "  textfile: " + textfile + "\n");
  std::string text = ReadFile(blocked);
  text.replace(text.find(f.reports_dir), f.reports_dir.size(), textfile + "/sub");
  f.dir.Write("blocked.yaml", text);
  r = f.Run({"run", "--config", blocked});
  BOOST_TEST(r.exit_code == 5);
  std::tie(rc, out) = Promtool(f.dir, textfile);
  BOOST_TEST(rc == 0);
  BOOST_TEST(out == "");
  s = ParseSamples(ReadFile(textfile));
  BOOST_TEST(ValueOf(s, "payrecon_run_exit_code", run_mode) == "5");
  BOOST_TEST(ValueOf(s, "payrecon_last_success_timestamp_seconds", run_mode) == success);
  BOOST_TEST(Sum(s, "payrecon_last_run_checks", run_mode) == 0);
  BOOST_TEST(CountOf(s, "payrecon_open_discrepancies", run_mode) == 9u);
  BOOST_TEST(CountOf(s, "payrecon_last_run_checks", {{"mode", "backfill"}}) == 3u * 10u);

  // The file is replaced by rename: nothing else is left in its folder.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  BOOST_TEST(names == std::vector<std::string>{"payrecon.prom"}, boost::test_tools::per_element());

  // A dry run leaves the metrics alone.
  const std::string before_dry = ReadFile(textfile);
  r = f.Run({"run", "--config", cfg, "--dry-run"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(ReadFile(textfile) == before_dry);
  BOOST_TEST(r.err.find("dry run: no metrics written or pushed") != std::string::npos);
}

// Acceptance 2: a real Pushgateway receives the run's metrics; read back from its /metrics page.
BOOST_AUTO_TEST_CASE(pushgateway_receives_the_runs_metrics) {
  JobFixture f(JobSetup{Scenario(30)});
  Pushgateway gateway(f.dir);
  const std::string metrics_yaml = "  pushgateway_url: " + gateway.url() + "/\n  instance: e2e-1\n  push_timeout: 2s\n";
  const std::string cfg = ConfigWithMetrics(f, "push.yaml", "", metrics_yaml);

  const auto before = std::chrono::system_clock::now();
  ProcessResult r = f.Run({"run", "--config", cfg});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("metrics push failed") == std::string::npos);
  const core::JsonValue run = RunLine(r.out);
  std::vector<Sample> s = ParseSamples(gateway.Metrics());
  const std::map<std::string, std::string> group = {{"job", "payrecon"}, {"instance", "e2e-1"}, {"mode", "run"}};
  auto in_group = [&](std::map<std::string, std::string> more) {
    more.insert(group.begin(), group.end());
    return more;
  };
  BOOST_TEST(Sum(s, "payrecon_last_run_checks", group) == Int(run, "checked"));
  BOOST_TEST(Int(run, "checked") == 32);
  BOOST_TEST(Sum(s, "payrecon_last_run_checks", in_group({{"kind", "charge"}, {"outcome", "OBSERVED"}})) == 32);
  BOOST_TEST(Sum(s, "payrecon_last_run_transitions", group) == Int(run, "transitions"));
  BOOST_TEST(Sum(s, "payrecon_last_run_transitions",
                 in_group({{"kind", "charge"}, {"from", "CapturePending"}, {"to", "CaptureApproved"}})) == 15);
  BOOST_TEST(Sum(s, "payrecon_last_run_discrepancies_raised", group) == Int(run, "discrepancies"));
  BOOST_TEST(Sum(s, "payrecon_last_run_errors", group) == Int(run, "errors"));
  BOOST_TEST(Sum(s, "payrecon_pending_transactions", group) == Int(run, "still_pending"));
  BOOST_TEST(Sum(s, "payrecon_open_discrepancies", in_group({{"code", "STUCK_PENDING"}})) == 1);
  BOOST_TEST(Sum(s, "payrecon_last_run_gateway_latency_seconds_count", group) == Int(run, "checked"));
  BOOST_TEST(Sum(s, "payrecon_last_run_gateway_latency_seconds_bucket", in_group({{"le", "+Inf"}})) == Int(run, "checked"));
  BOOST_TEST(ValueOf(s, "payrecon_run_exit_code", group) == "0");
  const std::string success = ValueOf(s, "payrecon_last_success_timestamp_seconds", group);
  BOOST_TEST(std::stod(success) >= Seconds(before) - 1.0);
  // The Pushgateway's own record of the push.
  BOOST_TEST(CountOf(s, "push_time_seconds", group) == 1u);
  BOOST_TEST(std::stod(ValueOf(s, "push_failure_time_seconds", group)) == 0.0);

  // A failed run (exit 5) replaces what it reports and keeps the last success time.
  const std::string blocked = ConfigWithMetrics(f, "blocked.yaml", "", metrics_yaml);
  std::string text = ReadFile(blocked);
  text.replace(text.find(f.reports_dir), f.reports_dir.size(), blocked + "/sub");
  f.dir.Write("blocked.yaml", text);
  r = f.Run({"run", "--config", blocked});
  BOOST_TEST(r.exit_code == 5);
  s = ParseSamples(gateway.Metrics());
  BOOST_TEST(ValueOf(s, "payrecon_run_exit_code", group) == "5");
  BOOST_TEST(ValueOf(s, "payrecon_last_success_timestamp_seconds", group) == success);
  BOOST_TEST(Sum(s, "payrecon_last_run_checks", group) == 0);
  BOOST_TEST(Sum(s, "payrecon_open_discrepancies", in_group({{"code", "STUCK_PENDING"}})) == 1);

  // The default grouping key has no instance: two runs (as two CronJob pods would be) replace one group, which
  // a failed run then updates, instead of leaving a group per run.
  const std::string stable = ConfigWithMetrics(f, "stable.yaml", "", "  pushgateway_url: " + gateway.url() + "\n");
  for (int i = 0; i < 2; ++i) {
    r = f.Run({"run", "--config", stable});
    BOOST_TEST(r.exit_code == 0);
  }
  s = ParseSamples(gateway.Metrics());
  const std::map<std::string, std::string> default_group = {{"job", "payrecon"}, {"instance", ""}, {"mode", "run"}};
  BOOST_TEST(CountOf(s, "push_time_seconds", {{"job", "payrecon"}, {"mode", "run"}}) == 2u);  // e2e-1 and default
  BOOST_TEST(CountOf(s, "push_time_seconds", default_group) == 1u);
  BOOST_TEST(ValueOf(s, "payrecon_run_exit_code", default_group) == "0");

  // A Pushgateway that is not there: a warning, and the run still succeeds.
  const std::uint16_t dead = FreePort();
  const std::string unreachable =
      ConfigWithMetrics(f, "dead.yaml", "", "  pushgateway_url: http://127.0.0.1:" + std::to_string(dead) + "\n");
  r = f.Run({"backfill", "--config", unreachable, "--from", "2000-01-01", "--to", "2100-01-01"});
  BOOST_TEST(r.exit_code == 0);
  bool warned = false;
  for (const auto& l : JsonLines(r.err)) {
    if (Text(l, "level") == "warn" && Text(l, "msg").rfind("metrics push failed: ", 0) == 0) {
      warned = true;
      BOOST_TEST(Text(l, "url") == "http://127.0.0.1:" + std::to_string(dead) + "/metrics/job/payrecon/mode/backfill");
    }
  }
  BOOST_TEST(warned);
}

BOOST_AUTO_TEST_SUITE_END()
