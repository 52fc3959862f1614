#include "tests/e2e/job_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "core/csv.h"
#include "core/time.h"
#include "core/report_rows.h"
#include "tests/support/csv_reader.h"
#include "tests/support/gzip_reader.h"

namespace payrecon::testing {

namespace {
constexpr const char* kChromium = "/usr/bin/chromium";
}  // namespace

namespace {

std::string PendingOf(const std::string& kind) { return kind == "refund" ? "Pending" : "CapturePending"; }

std::string DefaultCreatedAt() {
  const auto now = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
  return core::FormatIso8601(now - core::Millis{600'000});
}

}  // namespace

std::string PayreconBinary() { return PAYRECON_BIN; }

std::string ImportCsv(const std::vector<TxnSpec>& txns) {
  std::string s = "kind,merchant_id,merchant_txn_id,amazon_txn_id,parent_merchant_txn_id,amount,currency,status,created_at\n";
  const std::string created = DefaultCreatedAt();
  for (const auto& t : txns) {
    s += t.kind + "," + t.merchant_id + "," + core::CsvQuote(t.id) + ",," + t.parent + "," + t.amount + "," +
         t.currency + "," + (t.status.empty() ? PendingOf(t.kind) : t.status) + "," +
         (t.created_at.empty() ? created : t.created_at) + "\n";
  }
  return s;
}

std::string ScenarioCsv(const std::vector<TxnSpec>& txns) {
  std::string s = kScenarioHeader;
  for (const auto& t : txns) {
    if (!t.at_gateway) continue;
    const std::string status =
        !t.gateway_status.empty() ? t.gateway_status : (t.status.empty() ? PendingOf(t.kind) : t.status);
    s += t.merchant_id + "," + t.kind + "," + t.id + ",," + t.parent + "," + t.amount + "," +
         (t.gateway_currency.empty() ? t.currency : t.gateway_currency) + "," + status + "," + t.settle_after_ms +
         "," + t.settle_to + "," + t.approved_amount + "," + t.fault + "\n";
  }
  return s;
}

// ---- JobProcess ----

JobProcess::JobProcess(const std::string& binary, const std::vector<std::string>& args,
                       const std::vector<std::pair<std::string, std::string>>& env, const std::string& out_file,
                       const std::string& err_file)
    : out_file_(out_file), err_file_(err_file) {
  std::vector<std::string> all = {binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  BOOST_REQUIRE_MESSAGE(pid_ >= 0, "fork failed");
  if (pid_ == 0) {
    const int out = ::open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    const int null_in = ::open("/dev/null", O_RDONLY);
    if (null_in >= 0) ::dup2(null_in, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
}

JobProcess::~JobProcess() {
  if (pid_ > 0 && !Exited()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

void JobProcess::Signal(int sig) { ::kill(pid_, sig); }

bool JobProcess::Exited() {
  if (status_ != -1) return true;
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    return true;
  }
  return false;
}

ProcessResult JobProcess::Wait(std::chrono::milliseconds timeout) {
  if (!Exited()) {
    int st = 0;
    if (WaitForChildExit(pid_, timeout, &st)) {
      status_ = st;
    } else {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      BOOST_FAIL("payrecon did not finish within " << timeout.count() << " ms; stderr:\n" << Stderr());
    }
  }
  ProcessResult r;
  r.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  r.out = Stdout();
  r.err = Stderr();
  return r;
}

// A process killed before it opened its files wrote nothing.
std::string JobProcess::Stdout() const { return std::filesystem::exists(out_file_) ? ReadFile(out_file_) : ""; }
std::string JobProcess::Stderr() const { return std::filesystem::exists(err_file_) ? ReadFile(err_file_) : ""; }

// ---- JobFixture ----

JobFixture::JobFixture(JobSetup setup) {
  conn = database.Connect();
  reports_dir = dir.path() + "/reports";
  SandboxProcessOptions so;
  so.binary = PAYRECON_SANDBOX_BIN;
  so.args = {"--merchants", dir.Write("merchants.yaml", kMerchantsYaml)};
  if (!setup.txns.empty()) {
    so.args.push_back("--scenario");
    so.args.push_back(dir.Write("scenario.csv", ScenarioCsv(setup.txns)));
  }
  so.args.insert(so.args.end(), setup.sandbox_args.begin(), setup.sandbox_args.end());
  sandbox = std::make_unique<SandboxProcess>(so);
  config_path = WriteConfig("payrecon.yaml", setup.worker_yaml);
  if (setup.import && !setup.txns.empty()) {
    const std::string csv = dir.Write("import.csv", ImportCsv(setup.txns));
    const ProcessResult r = Run({"import", csv});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "import failed: " << r.err);
  }
}

std::string JobFixture::WriteConfig(const std::string& name, const std::string& worker_yaml,
                                    const std::string& extra_merchants_yaml, const std::string& reports_yaml) const {
  std::string yaml;
  yaml += "database:\n  conninfo: \"" + database.conninfo() + "\"\n";
  yaml += "amazonpay:\n  endpoint: \"" + sandbox->endpoint() + "\"\n  allow_insecure_http: true\n";
  yaml += "  connect_timeout: 2s\n  read_timeout: 2s\n";
  yaml += std::string("merchants:\n  - merchant_id: ") + kMid1 + "\n    access_key_id: " + kMid1AccessKey + "\n";
  yaml += std::string("    secret_key_env: ") + kSecretEnv + "\n";
  yaml += extra_merchants_yaml;
  yaml += "worker:\n  lease: 10s\n" + worker_yaml;
  yaml += "reports:\n  dir: \"" + reports_dir + "\"\n" + reports_yaml;
  return dir.Write(name, yaml);
}

std::unique_ptr<JobProcess> JobFixture::Start(std::vector<std::string> args) {
  if (std::find(args.begin(), args.end(), "--config") == args.end()) {
    args.push_back("--config");
    args.push_back(config_path);
  }
  const int n = ++runs_;
  return std::make_unique<JobProcess>(PayreconBinary(), args,
                                      std::vector<std::pair<std::string, std::string>>{{kSecretEnv, kSecretOne}},
                                      dir.path() + "/out" + std::to_string(n) + ".txt",
                                      dir.path() + "/err" + std::to_string(n) + ".txt");
}

ProcessResult JobFixture::Run(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  return Start(std::move(args))->Wait(timeout);
}

std::vector<db::Row> JobFixture::Query(const std::string& sql) { return conn->Query(sql); }

std::string JobFixture::Scalar(const std::string& sql) {
  auto rows = conn->Query(sql);
  BOOST_REQUIRE_MESSAGE(!rows.empty() && !rows[0].empty(), "no row from: " << sql);
  return rows[0][0].value_or("");
}

std::string JobFixture::SchemaDigest(bool with_sequences) {
  std::string digest;
  for (const auto& row : Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'payrecon' "
                               "ORDER BY table_name")) {
    const std::string table = *row[0];
    digest += table + ":" +
              Scalar("SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') "
                     "FROM payrecon." + table + " x") +
              "\n";
  }
  if (with_sequences) digest += "sequences:" + Scalar("SELECT coalesce(string_agg(last_value::text, ','), '') FROM pg_sequences "
                                  "WHERE schemaname = 'payrecon'");
  return digest;
}

void JobFixture::WaitFor(const std::string& what, const std::function<bool()>& condition,
                         std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) BOOST_FAIL("timed out waiting for " << what);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

core::JsonValue RunLine(const std::string& out) {
  BOOST_REQUIRE_MESSAGE(!out.empty() && out.back() == '\n' && out.find('\n') == out.size() - 1,
                        "expected exactly one line on stdout, got: " << out);
  auto parsed = core::ParseJson(std::string_view(out).substr(0, out.size() - 1));
  BOOST_REQUIRE_MESSAGE(parsed.ok() && parsed->is_object(), "stdout is not a JSON object: " << out);
  return *parsed;
}

std::string Member(const core::JsonValue& o, const std::string& key) {
  const core::JsonValue* v = o.Find(key);
  BOOST_REQUIRE_MESSAGE(v != nullptr, "no member '" << key << "'");
  if (v->type() == core::JsonValue::Type::kBool) return v->as_bool() ? "true" : "false";
  return v->text();
}

std::string ReadReport(const std::string& path) {
  const std::string_view gz = core::kGzipSuffix;
  if (path.size() < gz.size() || path.compare(path.size() - gz.size(), gz.size(), gz) != 0) return ReadFile(path);
  try {
    return ReadGzipFile(path);
  } catch (const std::runtime_error& e) {
    BOOST_FAIL(e.what());
  }
  return "";
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  const std::string text = ReadReport(path);
  CsvReader reader(text);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  for (;;) {
    auto r = reader.Next(fields);
    BOOST_REQUIRE_MESSAGE(r.ok(), path << ": " << (r.ok() ? "" : r.error()));
    if (!*r) break;
    records.push_back(fields);
  }
  return records;
}

std::string ReadTree(const std::string& dir) {
  std::string all;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    // Gzip'd reports are read as their text: a secret in them must show as it would in a plain file.
    if (e.is_regular_file()) all += ReadReport(e.path().string());
  }
  return all;
}

std::string Ago(std::chrono::minutes m) {
  const auto now = std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
  return core::FormatIso8601(now - m);
}

ProcessResult Chromium(const TempDir& dir, const std::string& name, std::vector<std::string> extra,
                       const std::string& html_path) {
  BOOST_REQUIRE_MESSAGE(::access(kChromium, X_OK) == 0,
                        kChromium << " is missing: install Debian's chromium (scripts/setup.sh does)");
  const std::string profile = dir.path() + "/chromium-" + name;
  std::filesystem::create_directories(profile);
  // No background traffic: this machine's network is closed, and the test must not depend on it.
  std::vector<std::string> args = {"--headless",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + profile};
  if (::geteuid() == 0) args.push_back("--no-sandbox");  // Chromium refuses to run as root with its sandbox
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("file://" + html_path);
  JobProcess p(kChromium, args, {}, dir.path() + "/" + name + ".out", dir.path() + "/" + name + ".err");
  ProcessResult r = p.Wait(std::chrono::seconds(120));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "chromium failed (" << r.exit_code << "): " << r.err);
  return r;
}

std::uint32_t BigEndian32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s.at(at + i));
  return v;
}

}  // namespace payrecon::testing
