#include <boost/test/unit_test.hpp>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/load.h"
#include "config/render.h"
#include "config/schema.h"
#include "config/settings.h"
#include "core/duration.h"

using namespace payrecon;
using namespace payrecon::config;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

const std::string kDir = std::string(PAYRECON_TESTDATA_DIR) + "/config";
const std::string kExample = std::string(PAYRECON_TESTDATA_DIR) + "/../../config/payrecon.example.yaml";

constexpr const char* kMerchant =
    "merchants:\n"
    "  - {merchant_id: M1, access_key_id: K1, secret_key_env: SECRET_M1}\n";

Environment TestEnv() {
  return MapEnvironment({{"SECRET_M1", "env-secret-m1"}, {"EMPTY", ""}, {"PAYRECON_SECRET_A2XMNOQAN8MC64", "m1-env"}});
}

std::vector<std::string> Problems(const std::string& yaml, const Environment& env = TestEnv()) {
  try {
    LoadFromString(yaml, env, kDir);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

// The single problem of a configuration that has one; "<none>" or "<several: …>" otherwise.
std::string OneProblem(const std::string& yaml) {
  const auto problems = Problems(yaml);
  if (problems.empty()) return "<none>";
  if (problems.size() == 1) return problems[0];
  std::string all = "<several:";
  for (const auto& p : problems) all += " [" + p + "]";
  return all + ">";
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_fill_everything_but_merchants) {
  const Settings s = Load(kDir + "/minimal.yaml", TestEnv());
  BOOST_TEST(s.database.conninfo == "");
  BOOST_TEST(s.amazonpay.endpoint == "https://amazonpay.amazon.in");
  BOOST_TEST(s.amazonpay.endpoint_scheme == "https");
  BOOST_TEST(s.amazonpay.endpoint_host == "amazonpay.amazon.in");
  BOOST_TEST(s.amazonpay.endpoint_port == 443);
  BOOST_TEST(s.amazonpay.signing_host == "amazonpay.amazon.in");
  BOOST_TEST(!s.amazonpay.allow_insecure_http);
  BOOST_TEST(s.amazonpay.ca_file == "");
  BOOST_TEST(s.amazonpay.connect_timeout.count() == 5000);
  BOOST_TEST(s.amazonpay.read_timeout.count() == 10000);
  BOOST_TEST(s.amazonpay.user_ip == "127.0.0.1");
  BOOST_TEST(s.amazonpay.user_agent == "payrecon");
  BOOST_TEST(s.amazonpay.expires == 900);
  BOOST_REQUIRE(s.merchants.size() == 1u);
  BOOST_TEST(s.merchants[0].merchant_id == "M1");
  BOOST_TEST(s.merchants[0].access_key_id == "K1");
  BOOST_TEST(s.merchants[0].secret_key_env == "SECRET_M1");
  BOOST_TEST(s.merchants[0].secret_key.Reveal() == "env-secret-m1");
  const WorkerSettings& w = s.worker;
  BOOST_TEST(w.batch_size == 250);
  BOOST_TEST(w.in_flight == 16);
  BOOST_TEST(w.max_rps == 0);
  BOOST_TEST(w.lease.count() == 300000);
  const std::vector<core::Millis> ladder{seconds{15}, seconds{25}, seconds{30}, seconds{35},
                                         seconds{40}, seconds{45}, seconds{50}, seconds{55}};
  BOOST_TEST((w.pending_ladder == ladder));
  BOOST_TEST((w.pending_after_ladder == minutes{5}));
  BOOST_TEST((w.error_backoff_base == seconds{30}));
  BOOST_TEST((w.error_backoff_max == minutes{30}));
  BOOST_TEST(w.error_limit == 5);
  BOOST_TEST((w.failing_recheck == hours{1}));
  BOOST_TEST((w.not_found_grace == minutes{30}));
  BOOST_TEST((w.charge_stuck_after == seconds{900 + 15 * 60}));
  BOOST_TEST((w.refund_stuck_after == hours{48}));
  BOOST_TEST(w.auth_failures_to_stop == 3);
  BOOST_TEST((w.deadline == minutes{10}));
  BOOST_TEST((w.progress_interval == seconds{10}));
  BOOST_TEST(s.metrics.textfile == "");
  BOOST_TEST(s.metrics.pushgateway_url == "");
  BOOST_TEST(s.metrics.job == "payrecon");
  BOOST_TEST(s.metrics.instance == "");
  BOOST_TEST((s.metrics.push_timeout == seconds{5}));
  BOOST_TEST(s.reports.dir == kDir + "/reports");
  BOOST_TEST(s.FindMerchant("M1") == &s.merchants[0]);
  BOOST_TEST(s.FindMerchant("M2") == nullptr);
}

BOOST_AUTO_TEST_CASE(worker_maps_onto_the_policy) {
  const Settings s = LoadFromString(std::string(kMerchant) +
                                        "worker:\n"
                                        "  pending_ladder: [1s, 2s]\n"
                                        "  pending_after_ladder: 1m\n"
                                        "  error_backoff_base: 2s\n"
                                        "  error_backoff_max: 3m\n"
                                        "  error_limit: 7\n"
                                        "  failing_recheck: 2h\n"
                                        "  not_found_grace: 0s\n"
                                        "  charge_stuck_after: 45m\n"
                                        "  refund_stuck_after: 3d\n",
                                    TestEnv(), "");
  const core::Policy p = s.worker.ToPolicy();
  BOOST_TEST((p.pending_ladder == std::vector<core::Millis>{seconds{1}, seconds{2}}));
  BOOST_TEST((p.pending_after_ladder == minutes{1}));
  BOOST_TEST((p.error_backoff_base == seconds{2}));
  BOOST_TEST((p.error_backoff_max == minutes{3}));
  BOOST_TEST(p.error_limit == 7);
  BOOST_TEST((p.failing_recheck == hours{2}));
  BOOST_TEST(p.not_found_grace.count() == 0);
  BOOST_TEST((p.charge_stuck_after == minutes{45}));
  BOOST_TEST((p.refund_stuck_after == hours{72}));
  // Defaults agree with core's.
  const core::Policy d = WorkerSettings{}.ToPolicy();
  const core::Policy c;
  BOOST_TEST((d.pending_ladder == c.pending_ladder));
  BOOST_TEST((d.error_backoff_max == c.error_backoff_max));
  BOOST_TEST((d.charge_stuck_after == c.charge_stuck_after));
  // A base dir of "" keeps relative paths as written.
  BOOST_TEST(s.reports.dir == "reports");
}

BOOST_AUTO_TEST_CASE(example_file_loads_cleanly) {
  const std::string text = ReadText(kExample);
  BOOST_REQUIRE(!text.empty());
  // The example's secret_key_file is relative; tests/testdata/config/secrets holds a stand-in.
  const Settings s = LoadFromString(text, TestEnv(), kDir);
  BOOST_TEST(s.database.conninfo == "postgresql://payrecon@localhost:5432/payrecon");
  BOOST_REQUIRE(s.merchants.size() == 2u);
  BOOST_TEST(s.merchants[0].merchant_id == "A2XMNOQAN8MC64");
  BOOST_TEST(s.merchants[0].secret_key.Reveal() == "m1-env");
  BOOST_TEST(s.merchants[1].secret_key_file == kDir + "/secrets/A1B2C3D4E5F6G7.key");
  BOOST_TEST(s.merchants[1].secret_key.Reveal() == "m2-file-secret");
  // The example documents the defaults: its worker and amazonpay sections equal the built-in ones.
  const Settings defaults = LoadFromString(std::string(kMerchant) + "database:\n  conninfo: " + s.database.conninfo +
                                               "\nreports:\n  dir: reports\n",
                                           TestEnv(), kDir);
  std::string example_render = Render(s);
  std::string default_render = Render(defaults);
  example_render = example_render.substr(0, example_render.find("merchants:")) +
                   example_render.substr(example_render.find("worker:"));
  default_render = default_render.substr(0, default_render.find("merchants:")) +
                   default_render.substr(default_render.find("worker:"));
  BOOST_TEST(example_render == default_render);
}

BOOST_AUTO_TEST_CASE(deployed_configmap_loads_cleanly) {
  // The Kubernetes ConfigMap embeds the production configuration; it must pass the same validation.
  const YAML::Node cm = YAML::LoadFile(std::string(PAYRECON_TESTDATA_DIR) + "/../../deploy/kubernetes/configmap.yaml");
  // Its merchant keys are files of a mounted Secret: read here from a folder standing in for the mount.
  std::string embedded = cm["data"]["payrecon.yaml"].as<std::string>();
  const std::string mount = "/var/run/secrets/payrecon/merchants/";
  BOOST_REQUIRE(embedded.find(mount) != std::string::npos);
  embedded.replace(embedded.find(mount), mount.size(), kDir + "/k8s-merchant-keys/");
  const Settings s = LoadFromString(embedded, MapEnvironment({}), "");
  BOOST_REQUIRE(s.merchants.size() == 1u);
  BOOST_TEST(s.merchants[0].secret_key.Reveal() == "from-the-secret-volume");
  BOOST_TEST(!s.metrics.pushgateway_url.empty());
  BOOST_TEST(s.reports.dir == "/var/lib/payrecon/reports");
}

BOOST_AUTO_TEST_CASE(secrets_from_env_and_files) {
  const auto load = [](const std::string& file) {
    return LoadFromString("merchants:\n  - {merchant_id: M1, access_key_id: K1, secret_key_file: " + file + "}\n",
                          TestEnv(), kDir);
  };
  BOOST_TEST(load("secrets/lf.key").merchants[0].secret_key.Reveal() == "file-secret-lf");
  BOOST_TEST(load("secrets/crlf.key").merchants[0].secret_key.Reveal() == "file-secret-crlf");
  BOOST_TEST(load("secrets/bare.key").merchants[0].secret_key.Reveal() == "file-secret-bare");
  // An absolute path is used as is.
  const Settings abs = load(kDir + "/secrets/lf.key");
  BOOST_TEST(abs.merchants[0].secret_key_file == kDir + "/secrets/lf.key");
  // Through Load(path), relative paths are taken from the file's folder.
  const Settings env = Load(kDir + "/minimal.yaml", TestEnv());
  BOOST_TEST(env.merchants[0].secret_key.Reveal() == "env-secret-m1");
}

BOOST_AUTO_TEST_CASE(secret_errors) {
  const std::string m = "merchants:\n  - {merchant_id: M1, access_key_id: K1, ";
  BOOST_TEST(OneProblem(m + "secret_key_env: AMZ_SECRET_M2}\n") ==
             "merchants[0].secret_key_env: environment variable \"AMZ_SECRET_M2\" is not set");
  BOOST_TEST(OneProblem(m + "secret_key_env: EMPTY}\n") ==
             "merchants[0].secret_key_env: environment variable \"EMPTY\" is empty");
  // A value that is not a conventional variable name might be the secret pasted in the wrong place: not echoed.
  BOOST_TEST(OneProblem(m + "secret_key_env: 1BAD-NAME+/x}\n") ==
             "merchants[0].secret_key_env: must be the name of an environment variable (A-Z a-z 0-9 _, not starting "
             "with a digit); the value is not shown in case it is the secret itself");
  BOOST_TEST(OneProblem(m + "secret_key_env: wJalrXUtnFEMIK7MDENGbPxRfiCY}\n") ==
             "merchants[0].secret_key_env: the environment variable (name not shown: it has lowercase letters, so it "
             "might be the secret itself) is not set");
  BOOST_TEST(OneProblem(m + "secret_key_file: wJalrXUtnFEMIK7MDENGbPxRfiCY}\n") ==
             "merchants[0].secret_key_file: cannot read the file (name not shown: it has no \"/\" or \".\", so it "
             "might be the secret itself): No such file or directory");
  BOOST_TEST(OneProblem(m + "secret_key_file: secrets/nope.key}\n") ==
             "merchants[0].secret_key_file: cannot read file \"" + kDir + "/secrets/nope.key\": No such file or directory");
  BOOST_TEST(OneProblem(m + "secret_key_file: secrets}\n") ==
             "merchants[0].secret_key_file: cannot read the file (name not shown: it has no \"/\" or \".\", so it "
             "might be the secret itself): Is a directory");
  BOOST_TEST(OneProblem(m + "secret_key_file: secrets/}\n") ==
             "merchants[0].secret_key_file: cannot read file \"" + kDir + "/secrets/\": Is a directory");
  BOOST_TEST(OneProblem(m + "secret_key_file: secrets/empty.key}\n") ==
             "merchants[0].secret_key_file: file \"" + kDir + "/secrets/empty.key\" is empty");
  BOOST_TEST(OneProblem(m + "secret_key_file: secrets/two_lines.key}\n") ==
             "merchants[0].secret_key_file: file \"" + kDir + "/secrets/two_lines.key\" holds more than one line");
  BOOST_TEST(OneProblem(m + "secret_key_file: \"\"}\n") == "merchants[0].secret_key_file: must not be empty");
  BOOST_TEST(OneProblem(m + "secret_key_env: SECRET_M1, secret_key_file: secrets/lf.key}\n") ==
             "merchants[0]: secret_key_env and secret_key_file exclude each other; set one");
  BOOST_TEST(OneProblem("merchants:\n  - {merchant_id: M1, access_key_id: K1}\n") ==
             "merchants[0]: one of secret_key_env or secret_key_file is required");
  BOOST_TEST(OneProblem(m + "secret_key_env: SECRET_M1, secret_key: abc}\n") ==
             "merchants[0].secret_key: unknown key (secrets come from the environment or a mounted file, never the "
             "configuration file)");
}

BOOST_AUTO_TEST_CASE(merchant_errors) {
  BOOST_TEST(OneProblem("worker: {}\n") == "merchants: at least one merchant is required");
  BOOST_TEST(OneProblem("merchants: []\n") == "merchants: at least one merchant is required");
  BOOST_TEST(OneProblem("merchants:\n") == "merchants: at least one merchant is required");
  BOOST_TEST(OneProblem("merchants: {merchant_id: M1}\n") == "merchants: must be a list, got a mapping");
  BOOST_TEST(OneProblem("merchants: [M1]\n") == "merchants[0]: must be a mapping, got a text value");
  BOOST_TEST(OneProblem("merchants:\n  - {access_key_id: K1, secret_key_env: SECRET_M1}\n") ==
             "merchants[0].merchant_id: required key is missing");
  BOOST_TEST(OneProblem("merchants:\n  - {merchant_id: M1, secret_key_env: SECRET_M1}\n") ==
             "merchants[0].access_key_id: required key is missing");
  BOOST_TEST(OneProblem("merchants:\n  - {merchant_id: M 1, access_key_id: K1, secret_key_env: SECRET_M1}\n") ==
             "merchants[0].merchant_id: must be 1-64 characters of A-Z a-z 0-9 - _ . ~, got \"M 1\"");
  BOOST_TEST(OneProblem("merchants:\n  - {merchant_id: M1, access_key_id: K/1, secret_key_env: SECRET_M1}\n") ==
             "merchants[0].access_key_id: must be 1-128 characters of A-Z a-z 0-9 - _ . ~");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "  - {merchant_id: M2, access_key_id: K2, secret_key_env: SECRET_M1}\n" +
                        "  - {merchant_id: M1, access_key_id: K3, secret_key_env: SECRET_M1}\n") ==
             "merchants[2].merchant_id: duplicate merchant \"M1\" (also merchants[0])");
}

BOOST_AUTO_TEST_CASE(worker_errors) {
  const struct {
    const char* yaml;
    const char* problem;
  } rows[] = {
      {"in_flight: 0", "worker.in_flight: must be between 1 and 1024, got 0"},
      {"in_flight: 1025", "worker.in_flight: must be between 1 and 1024, got 1025"},
      {"in_flight: abc", "worker.in_flight: must be an integer, got \"abc\""},
      {"in_flight: \"16\"", "worker.in_flight: must be an integer, got \"16\""},
      {"in_flight: 1.5", "worker.in_flight: must be an integer, got \"1.5\""},
      {"in_flight: 99999999999999999999", "worker.in_flight: must be between 1 and 1024, got 99999999999999999999"},
      {"in_flight:", "worker.in_flight: missing value"},
      {"in_flight: [1]", "worker.in_flight: must be a text value, got a list"},
      {"batch_size: 10001", "worker.batch_size: must be between 1 and 10000, got 10001"},
      {"max_rps: -1", "worker.max_rps: must be between 0 and 100000, got -1"},
      {"error_limit: 0", "worker.error_limit: must be between 1 and 1000, got 0"},
      {"auth_failures_to_stop: 101", "worker.auth_failures_to_stop: must be between 1 and 100, got 101"},
      {"lease: 5", "worker.lease: invalid duration \"5\": missing unit (use ms, s, m, h or d)"},
      {"lease: 5s", "worker.lease: must be between 10s and 1h, got 5s"},
      {"lease: 2h", "worker.lease: must be between 10s and 1h, got 2h"},
      {"lease: 15s",
       "worker.lease: must be longer than amazonpay.connect_timeout + amazonpay.read_timeout (15s), got 15s"},
      {"lease: 1h30m", "worker.lease: invalid duration \"1h30m\": one whole number and one unit only, e.g. 90m"},
      {"lease: 5 m", "worker.lease: invalid duration \"5 m\": unknown unit (use ms, s, m, h or d)"},
      {"pending_ladder: []", "worker.pending_ladder: must have between 1 and 64 steps, got 0"},
      {"pending_ladder: 15s", "worker.pending_ladder: must be a list of durations, got a text value"},
      {"pending_after_ladder: 2d", "worker.pending_after_ladder: must be between 1s and 1d, got 2d"},
      {"error_backoff_base: 0s", "worker.error_backoff_base: must be between 1s and 1h, got 0s"},
      {"error_backoff_base: 1m\n  error_backoff_max: 30s",
       "worker.error_backoff_max: must be at least worker.error_backoff_base (1m), got 30s"},
      {"error_backoff_max: 10s", "worker.error_backoff_max: must be at least worker.error_backoff_base (30s), got 10s"},
      {"failing_recheck: 30s", "worker.failing_recheck: must be between 1m and 7d, got 30s"},
      {"not_found_grace: -1s",
       "worker.not_found_grace: invalid duration \"-1s\": expected digits then a unit, e.g. 15s, 5m, 48h or 250ms"},
      {"charge_stuck_after: 31d", "worker.charge_stuck_after: must be between 1m and 30d, got 31d"},
      {"refund_stuck_after: 59s", "worker.refund_stuck_after: must be between 1m and 30d, got 59s"},
      {"deadline: 8d", "worker.deadline: must be between 1s and 7d, got 8d"},
      {"deadline: \"\"", "worker.deadline: duration is empty"},
      {"in_flight: 1\n  in_flight: 2", "worker.in_flight: duplicate key"},
  };
  for (const auto& row : rows) {
    BOOST_TEST(OneProblem(std::string(kMerchant) + "worker:\n  " + row.yaml + "\n") == row.problem, row.yaml);
  }
  // Each bad ladder step is reported with its index.
  BOOST_TEST(Joined(Problems(std::string(kMerchant) + "worker:\n  pending_ladder: [15s, 0s, x, 2d]\n")) ==
             "worker.pending_ladder[1]: must be between 1s and 1d, got 0s\n"
             "worker.pending_ladder[2]: invalid duration \"x\": expected digits then a unit, e.g. 15s, 5m, 48h or "
             "250ms\n"
             "worker.pending_ladder[3]: must be between 1s and 1d, got 2d\n");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "worker:\n  lease: 16s\n  max_rps: 100000\n") == "<none>");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "worker:\n") == "<none>");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "worker: 5\n") == "worker: must be a mapping, got a text value");
}

BOOST_AUTO_TEST_CASE(amazonpay_errors) {
  const struct {
    const char* yaml;
    const char* problem;
  } rows[] = {
      {"endpoint: http://localhost:8080",
       "amazonpay.endpoint: plain http is not allowed; use https, or set amazonpay.allow_insecure_http: true (local "
       "sandbox only)"},
      {"endpoint: ftp://amazonpay.amazon.in",
       "amazonpay.endpoint: must be an http(s) URL like \"https://amazonpay.amazon.in\", got "
       "\"ftp://amazonpay.amazon.in\""},
      {"endpoint: https://amazonpay.amazon.in/v1",
       "amazonpay.endpoint: must not have a path, query or fragment, got \"https://amazonpay.amazon.in/v1\""},
      {"endpoint: https://user:hunter2@amazonpay.amazon.in",
       "amazonpay.endpoint: must not contain user information (\"user@\")"},
      {"endpoint: https://amazonpay.amazon.in:99999",
       "amazonpay.endpoint: invalid port in \"https://amazonpay.amazon.in:99999\""},
      {"endpoint: \"https://amazonpay.amazon.in:\"",
       "amazonpay.endpoint: invalid port in \"https://amazonpay.amazon.in:\""},
      {"endpoint: https://", "amazonpay.endpoint: invalid host in \"https://\""},
      {"endpoint: https://bad_host", "amazonpay.endpoint: invalid host in \"https://bad_host\""},
      {"endpoint: https://[::1", "amazonpay.endpoint: unterminated IPv6 address in \"https://[::1\""},
      {"allow_insecure_http: yes", "amazonpay.allow_insecure_http: must be true or false, got \"yes\""},
      {"signing_host: https://x",
       "amazonpay.signing_host: must be a host name (letters, digits, \"-\" and \".\"; no scheme, port or path), got "
       "\"https://x\""},
      {"ca_file: missing.pem",
       "amazonpay.ca_file: cannot read \"" PAYRECON_TESTDATA_DIR "/config/missing.pem\": No such file or directory"},
      {"ca_file: \"\"", "amazonpay.ca_file: must not be empty (leave the key out to use the system store)"},
      {"connect_timeout: 0ms", "amazonpay.connect_timeout: must be between 100ms and 1m, got 0s"},
      {"read_timeout: 3m", "amazonpay.read_timeout: must be between 100ms and 2m, got 3m"},
      {"user_ip: localhost", "amazonpay.user_ip: must be an IPv4 or IPv6 address, got \"localhost\""},
      {"user_ip: 300.1.1.1", "amazonpay.user_ip: must be an IPv4 or IPv6 address, got \"300.1.1.1\""},
      {"user_agent: pay recon", "amazonpay.user_agent: must be 1-64 characters of A-Z a-z 0-9 - _ . ~, got \"pay recon\""},
      {"expires: 299", "amazonpay.expires: must be between 300 and 900, got 299"},
      {"expires: 901", "amazonpay.expires: must be between 300 and 900, got 901"},
  };
  for (const auto& row : rows) {
    BOOST_TEST(OneProblem(std::string(kMerchant) + "amazonpay:\n  " + row.yaml + "\n") == row.problem, row.yaml);
  }
}

BOOST_AUTO_TEST_CASE(endpoint_forms) {
  const auto load = [](const std::string& amazonpay) {
    return LoadFromString(std::string(kMerchant) + "amazonpay:\n" + amazonpay, TestEnv(), kDir).amazonpay;
  };
  const auto local = load("  endpoint: http://127.0.0.1:8080/\n  allow_insecure_http: true\n"
                          "  signing_host: amazonpay-sandbox.amazon.in\n  ca_file: ca.pem\n");
  BOOST_TEST(local.endpoint == "http://127.0.0.1:8080");
  BOOST_TEST(local.endpoint_scheme == "http");
  BOOST_TEST(local.endpoint_host == "127.0.0.1");
  BOOST_TEST(local.endpoint_port == 8080);
  BOOST_TEST(local.signing_host == "amazonpay-sandbox.amazon.in");
  BOOST_TEST(local.ca_file == kDir + "/ca.pem");
  const auto sandbox = load("  endpoint: https://amazonpay-sandbox.amazon.in\n  user_ip: \"::1\"\n");
  BOOST_TEST(sandbox.endpoint_port == 443);
  BOOST_TEST(sandbox.signing_host == "amazonpay-sandbox.amazon.in");
  BOOST_TEST(sandbox.user_ip == "::1");
  const auto v6 = load("  endpoint: https://[::1]:8443\n");
  BOOST_TEST(v6.endpoint == "https://[::1]:8443");
  BOOST_TEST(v6.endpoint_host == "::1");
  BOOST_TEST(v6.endpoint_port == 8443);
  const auto plain_http = load("  endpoint: http://localhost\n  allow_insecure_http: true\n");
  BOOST_TEST(plain_http.endpoint_port == 80);
}

BOOST_AUTO_TEST_CASE(database_password_rejected_without_echo) {
  const std::string rejected =
      "database.conninfo: must not contain a password; set PGPASSWORD or use a PGPASSFILE instead";
  for (const char* conninfo : {"\"host=db user=u password=hunter2\"", "\"host=db password = 'hun ter2' user=u\"",
                               "postgresql://u:hunter2@db/payrecon", "postgres://u:hunter2@db:5432/payrecon",
                               "\"postgresql://u@db/payrecon?sslmode=require&password=hunter2\"",
                               "\"postgresql://u@db/payrecon?pass%77ord=hunter2\"",
                               "\"host=db dbname='postgresql://u:hunter2@db/payrecon'\"",
                               "\"dbname='host=db password=hunter2'\""}) {
    const auto problems = Problems(std::string(kMerchant) + "database:\n  conninfo: " + conninfo + "\n");
    BOOST_TEST(Joined(problems) == rejected + "\n", conninfo);
  }
  BOOST_TEST(OneProblem(std::string(kMerchant) + "database:\n  conninfo: \"host=db user='un terminated\"\n") ==
             "database.conninfo: not a libpq connection string: unterminated quoted value for \"user\"");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "database:\n  conninfo: \"host=db sslmode\"\n") ==
             "database.conninfo: not a libpq connection string: missing \"=\" after \"sslmode\"");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "database:\n  conninfo: \"host=db Hunter2\"\n") ==
             "database.conninfo: not a libpq connection string: missing \"=\" after a keyword");
  for (const char* ok : {"\"host=db dbname='my db' user=payrecon\"", "\"host = db port=5432\"",
                         "postgresql://payrecon@db:5432/payrecon?sslmode=verify-full",
                         "\"postgresql://payrecon@[::1]/payrecon\"", "\"\"", "\"dbname=passwords\""}) {
    BOOST_TEST(OneProblem(std::string(kMerchant) + "database:\n  conninfo: " + ok + "\n") == "<none>", ok);
  }
}

// libpq's own parser (PQconninfoParse) checks the conninfo, so `config check` refuses what `run` would: before,
// an unknown keyword, `PASSWORD = '...'` and `?PassWord=...` passed `config check`, printed the value, and
// failed later at connect (exit 3, not 2).
BOOST_AUTO_TEST_CASE(conninfo_is_checked_by_libpq) {
  const auto problem = [](const std::string& conninfo) {
    return OneProblem(std::string(kMerchant) + "database:\n  conninfo: \"" + conninfo + "\"\n");
  };
  const std::string rejected =
      "database.conninfo: must not contain a password; set PGPASSWORD or use a PGPASSFILE instead";
  for (const char* conninfo :
       {"host=db PASSWORD = 'hunter2' user=u", "host=db Password=hunter2", "PassWord='hun ter2'",
        "postgresql://u@db/payrecon?PassWord=hunter2", "postgresql://u@db/payrecon?PASS%57ORD=hunter2",
        "postgresql://u@db/payrecon?sslmode=require&Password=hunter2", "postgresql://u:hunter2@db",
        "host=db dbname='host=db PASSWORD=hunter2'", "password="}) {
    BOOST_TEST(problem(conninfo) == rejected, conninfo);
  }
  BOOST_TEST(problem("host=db bogus=1") ==
             "database.conninfo: not a libpq connection string: unknown keyword \"bogus\"");
  BOOST_TEST(problem("postgresql://db/payrecon?bogus=1") ==
             "database.conninfo: not a libpq connection string: unknown keyword \"bogus\"");
  BOOST_TEST(problem("host=db SSLMODE=require") ==
             "database.conninfo: not a libpq connection string: unknown keyword \"SSLMODE\"");
  BOOST_TEST(problem("host=db hunter2=x") ==
             "database.conninfo: not a libpq connection string: unknown keyword (not shown: it might be a secret)");
  // libpq's URI messages repeat the whole URI; none of it is shown.
  BOOST_TEST(problem("postgresql://u:hunter2@[::1") ==
             "database.conninfo: not a libpq connection string: end of string reached when looking for matching "
             "\"]\" in IPv6 host address in URI");
  BOOST_TEST(problem("postgresql://u:hunter2@db/payrecon?sslmode") ==
             "database.conninfo: not a libpq connection string: missing key/value separator \"=\" in URI query "
             "parameter");
  BOOST_TEST(problem("postgresql://u:hunter2@db/payrecon?sslmode=%zz") ==
             "database.conninfo: not a libpq connection string: invalid percent-encoded token");
  BOOST_TEST(problem("host=db password='hunter2") ==
             "database.conninfo: not a libpq connection string: unterminated quoted value for \"password\"");
  BOOST_TEST(problem("host=db user='a\\\\'b") ==
             "database.conninfo: not a libpq connection string: unterminated quoted value");
  for (const char* ok : {"host=db sslmode=verify-full sslrootcert=/etc/ssl/ca.pem connect_timeout=5",
                         "postgresql:///payrecon?host=/var/run/postgresql", "service=payrecon"}) {
    BOOST_TEST(problem(ok) == "<none>", ok);
  }
}

// No problem line ever carries the password-like text, whatever the form.
BOOST_AUTO_TEST_CASE(conninfo_problems_never_echo_a_password) {
  for (const char* conninfo :
       {"host=db PASSWORD = 'hunter2'", "host=db hunter2", "postgresql://u:hunter2@[::1", "host=db password='hunter2",
        "postgresql://u:hunter2@db/x?sslmode", "postgresql://u:hunter2@db/x?a=b=c", "postgresql://u:hunter2@db:x/y",
        "postgresql://u:hunter2@db/x?sslmode=%00", "host=db hunter2=x", "dbname='postgresql://u:hunter2@[::1'"}) {
    const auto problems = Problems(std::string(kMerchant) + "database:\n  conninfo: \"" + conninfo + "\"\n");
    BOOST_TEST(problems.size() == 1u, conninfo);
    BOOST_TEST(Joined(problems).find("hunter2") == std::string::npos, conninfo << ": " << Joined(problems));
  }
}

BOOST_AUTO_TEST_CASE(structure_errors) {
  BOOST_TEST(OneProblem("- a\n- b\n") == "configuration: must be a mapping of sections, got a list");
  BOOST_TEST(OneProblem("") == "merchants: at least one merchant is required");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "reports:\n  dir: \"\"\n") == "reports.dir: must not be empty");
  const auto bad_yaml = Problems("worker: [1,\n");
  BOOST_REQUIRE(bad_yaml.size() == 1u);
  BOOST_TEST(bad_yaml[0].rfind("configuration: invalid YAML at line 2, column 1: ", 0) == 0u, bad_yaml[0]);
  try {
    Load(kDir + "/does_not_exist.yaml", TestEnv());
    BOOST_FAIL("no error");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "config file \"" + kDir + "/does_not_exist.yaml\": cannot read: No such file or directory");
  }
}

BOOST_AUTO_TEST_CASE(unknown_keys_at_every_level) {
  try {
    Load(kDir + "/unknown_keys.yaml", TestEnv());
    BOOST_FAIL("no error");
  } catch (const ConfigError& e) {
    BOOST_TEST(Joined(e.problems()) ==
               "databse: unknown key\n"
               "database.pasword: unknown key\n"
               "amazonpay.endpont: unknown key\n"
               "merchants[0].secret_key: unknown key (secrets come from the environment or a mounted file, never "
               "the configuration file)\n"
               "worker.inflight: unknown key\n"
               "reports.directory: unknown key\n");
    BOOST_TEST(std::string(e.what()).find("do-not-put-secrets-here") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(every_problem_at_once) {
  try {
    Load(kDir + "/many_errors.yaml", TestEnv());
    BOOST_FAIL("no error");
  } catch (const ConfigError& e) {
    BOOST_TEST(Joined(e.problems()) ==
               "database.conninfo: must not contain a password; set PGPASSWORD or use a PGPASSFILE instead\n"
               "amazonpay.endpoint: plain http is not allowed; use https, or set amazonpay.allow_insecure_http: "
               "true (local sandbox only)\n"
               "amazonpay.expires: must be between 300 and 900, got 1200\n"
               "merchants[1].secret_key_env: environment variable \"AMZ_SECRET_M2\" is not set\n"
               "merchants[2].merchant_id: duplicate merchant \"M1\" (also merchants[0])\n"
               "merchants[2].secret_key_file: cannot read file \"" +
                   kDir +
                   "/secrets/missing.key\": No such file or directory\n"
                   "worker.in_flight: must be between 1 and 1024, got 0\n"
                   "worker.lease: invalid duration \"5\": missing unit (use ms, s, m, h or d)\n"
                   "worker.pending_ladder[1]: must be between 1s and 1d, got 0s\n"
                   "worker.pending_ladder[2]: invalid duration \"1.5m\": one whole number and one unit only, e.g. "
                   "90m\n"
                   "reports.dir: must not be empty\n");
    BOOST_TEST(std::string(e.what()) == Joined(e.problems()).substr(0, Joined(e.problems()).size() - 1));
    BOOST_TEST(std::string(e.what()).find("hunter2") == std::string::npos);
    BOOST_TEST(std::string(e.what()).find("env-secret-m1") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(render_masks_secrets) {
  const Settings s = LoadFromString(
      "database:\n  conninfo: host=db dbname=payrecon\n"
      "amazonpay:\n  endpoint: http://127.0.0.1:8080\n  allow_insecure_http: true\n"
      "  signing_host: amazonpay-sandbox.amazon.in\n  read_timeout: 1500ms\n"
      "merchants:\n"
      "  - {merchant_id: M1, access_key_id: K1, secret_key_env: SECRET_M1}\n"
      "  - {merchant_id: M2, access_key_id: K2, secret_key_file: secrets/lf.key}\n"
      "worker:\n  pending_ladder: [15s, 90s]\n  not_found_grace: 0s\n"
      "reports:\n  dir: /var/lib/payrecon/reports\n",
      TestEnv(), kDir);
  const std::string text = Render(s);
  BOOST_TEST(text ==
             "database:\n"
             "  conninfo: host=db dbname=payrecon\n"
             "amazonpay:\n"
             "  endpoint: http://127.0.0.1:8080\n"
             "  signing_host: amazonpay-sandbox.amazon.in\n"
             "  allow_insecure_http: true\n"
             "  connect_timeout: 5s\n"
             "  read_timeout: 1500ms\n"
             "  user_ip: 127.0.0.1\n"
             "  user_agent: payrecon\n"
             "  expires: 900\n"
             "  response_max_skew: 5m\n"
             "merchants:\n"
             "  - merchant_id: M1\n"
             "    access_key_id: K1\n"
             "    secret_key_env: SECRET_M1\n"
             "    secret_key: \"***\"\n"
             "  - merchant_id: M2\n"
             "    access_key_id: K2\n"
             "    secret_key_file: " + kDir + "/secrets/lf.key\n"
             "    secret_key: \"***\"\n"
             "worker:\n"
             "  batch_size: 250\n"
             "  in_flight: 16\n"
             "  io_threads: 2\n"
             "  max_rps: 0\n"
             "  lease: 5m\n"
             "  pending_ladder: [15s, 90s]\n"
             "  pending_after_ladder: 5m\n"
             "  error_backoff_base: 30s\n"
             "  error_backoff_max: 30m\n"
             "  error_limit: 5\n"
             "  failing_recheck: 1h\n"
             "  not_found_grace: 0s\n"
             "  charge_stuck_after: 30m\n"
             "  refund_stuck_after: 2d\n"
             "  auth_failures_to_stop: 3\n"
             "  deadline: 10m\n"
             "  progress_interval: 10s\n"
             "  retry_after_max: 1m\n"
             "  stuck_repeat: 1d\n"
             "reports:\n"
             "  dir: /var/lib/payrecon/reports\n"
             "  pending_limit: 50000\n"
             "  compress: gzip\n"
             "  keep: 30d\n"
             "  display_timezone: UTC\n"
             "  index_runs: 200\n"
             "metrics:\n"
             "  job: payrecon\n"
             "  push_timeout: 5s\n");
  BOOST_TEST(text.find("env-secret-m1") == std::string::npos);
  BOOST_TEST(text.find("file-secret-lf") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_pending_limit_and_keep) {
  const Settings defaults = LoadFromString(std::string(kMerchant), TestEnv(), kDir);
  BOOST_TEST(defaults.reports.pending_limit == 50000);
  BOOST_TEST(defaults.reports.keep.count() == 30LL * 24 * 3600 * 1000);
  const Settings s = LoadFromString(std::string(kMerchant) + "reports:\n  pending_limit: 0\n  keep: 0s\n", TestEnv(), kDir);
  BOOST_TEST(s.reports.pending_limit == 0);
  BOOST_TEST(s.reports.keep.count() == 0);
  const Settings t = LoadFromString(std::string(kMerchant) + "reports:\n  pending_limit: 10\n  keep: 2h\n", TestEnv(), kDir);
  BOOST_TEST(t.reports.pending_limit == 10);
  BOOST_TEST(t.reports.keep.count() == 2LL * 3600 * 1000);
  BOOST_TEST(OneProblem(std::string(kMerchant) + "reports:\n  pending_limit: -1\n") ==
             "reports.pending_limit: must be between 0 and 10000000, got -1");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "reports:\n  keep: 30m\n") ==
             "reports.keep: must be 0s (keep every run folder) or between 1h and 3650d, got 30m");
  // Since the range comes from the schema (0s, or 1h-3650d), a value above it names the whole rule too.
  BOOST_TEST(OneProblem(std::string(kMerchant) + "reports:\n  keep: 3651d\n") ==
             "reports.keep: must be 0s (keep every run folder) or between 1h and 3650d, got 3651d");
}

BOOST_AUTO_TEST_CASE(reports_compress) {
  const Settings defaults = LoadFromString(std::string(kMerchant), TestEnv(), kDir);
  BOOST_TEST((defaults.reports.compress == payrecon::core::ReportCompression::kGzip));
  const Settings none = LoadFromString(std::string(kMerchant) + "reports:\n  compress: none\n", TestEnv(), kDir);
  BOOST_TEST((none.reports.compress == payrecon::core::ReportCompression::kNone));
  const Settings gzip = LoadFromString(std::string(kMerchant) + "reports:\n  compress: gzip\n", TestEnv(), kDir);
  BOOST_TEST((gzip.reports.compress == payrecon::core::ReportCompression::kGzip));
  BOOST_TEST(OneProblem(std::string(kMerchant) + "reports:\n  compress: zstd\n") ==
             "reports.compress: must be \"gzip\" or \"none\", got \"zstd\"");
  BOOST_TEST(OneProblem(std::string(kMerchant) + "reports:\n  compress: true\n") ==
             "reports.compress: must be \"gzip\" or \"none\", got \"true\"");
}

BOOST_AUTO_TEST_CASE(metrics_section) {
  const Settings s = LoadFromString(std::string(kMerchant) +
                                        "metrics:\n  textfile: prom/payrecon.prom\n"
                                        "  pushgateway_url: http://127.0.0.1:9091/prefix/\n"
                                        "  job: recon\n  instance: worker-1\n  push_timeout: 250ms\n",
                                    TestEnv(), kDir);
  BOOST_TEST(s.metrics.textfile == kDir + "/prom/payrecon.prom");
  BOOST_TEST(s.metrics.pushgateway_url == "http://127.0.0.1:9091/prefix");
  BOOST_TEST(s.metrics.job == "recon");
  BOOST_TEST(s.metrics.instance == "worker-1");
  BOOST_TEST((s.metrics.push_timeout == core::Millis{250}));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"textfile: \"\"", "metrics.textfile: must not be empty (leave the key out to write no textfile)"},
      {"textfile: /var/lib/prom/", "metrics.textfile: must be a file, not a folder, got \"/var/lib/prom/\""},
      {"pushgateway_url: pushgateway:9091",
       "metrics.pushgateway_url: must be an http(s) URL like \"http://pushgateway:9091\", got \"pushgateway:9091\""},
      {"pushgateway_url: http://",
       "metrics.pushgateway_url: must be an http(s) URL like \"http://pushgateway:9091\", got \"http://\""},
      {"pushgateway_url: http://user:pw@pg:9091", "metrics.pushgateway_url: must not contain user information (\"user@\")"},
      {"pushgateway_url: http://pg:9091/?x=1",
       "metrics.pushgateway_url: must not have a query, fragment or spaces, got \"http://pg:9091/?x=1\""},
      {"job: \"a/b\"", "metrics.job: must be 1-128 characters of A-Z a-z 0-9 - _ . ~, got \"a/b\""},
      {"instance: \"\"", "metrics.instance: must be 1-128 characters of A-Z a-z 0-9 - _ . ~, got \"\""},
      {"push_timeout: 2m", "metrics.push_timeout: must be between 100ms and 1m, got 2m"},
      {"bogus: 1", "metrics.bogus: unknown key"},
  };
  for (const auto& [yaml, problem] : cases) {
    BOOST_TEST_CONTEXT(yaml) { BOOST_TEST(OneProblem(std::string(kMerchant) + "metrics:\n  " + yaml + "\n") == problem); }
  }
  BOOST_TEST(OneProblem(std::string(kMerchant) + "worker:\n  progress_interval: 0s\n") ==
             "worker.progress_interval: must be between 1s and 1h, got 0s");
}

BOOST_AUTO_TEST_CASE(render_round_trips_without_the_mask_lines) {
  // What `config check` prints is itself a valid configuration once the masked lines are dropped.
  const Settings s = Load(kDir + "/minimal.yaml", TestEnv());
  std::string text = Render(s);
  const std::string mask = "    secret_key: \"***\"\n";
  text.erase(text.find(mask), mask.size());
  const Settings again = LoadFromString(text, TestEnv(), "");
  BOOST_TEST(Render(again) == Render(s));
}

// The schema (config/schema.cpp) is the one statement of each key; the README's table, the example file and the
// built-in defaults must say the same.
namespace {

const std::string kReadme = std::string(PAYRECON_TESTDATA_DIR) + "/../../README.md";

// The README's range texts use an en dash and backticks; the example file plain "-".
std::string Plain(std::string text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "\u2013") == 0) {
      out += '-';
      i += 2;
    } else if (text[i] != '`') {
      out += text[i];
    }
  }
  return out;
}

std::string ReadmeRow(const Key& key) {
  const std::string fallback = std::string(key.default_text);
  const std::string def = key.default_value.empty() ? fallback : "`" + std::string(key.default_value) + "`";
  return "| `" + std::string(key.path) + "` | " + std::string(key.meaning) + " | " + def + " | " +
         std::string(key.range) + " |";
}

bool IsNumeric(const Key& key) {
  return key.type == Type::kInteger || key.type == Type::kDuration || key.type == Type::kDurationList;
}

// A key's effective value as YAML text, for comparing with the schema's default.
std::string Text(const Value& value) {
  if (const auto* v = std::get_if<std::string>(&value)) return *v;
  if (const auto* v = std::get_if<int>(&value)) return std::to_string(*v);
  if (const auto* v = std::get_if<bool>(&value)) return *v ? "true" : "false";
  if (const auto* v = std::get_if<core::Millis>(&value)) return core::FormatDuration(*v);
  std::string out = "[";
  for (core::Millis step : std::get<std::vector<core::Millis>>(value)) {
    out += (out.size() > 1 ? ", " : "") + core::FormatDuration(step);
  }
  return out + "]";
}

// The same text with every duration written the way FormatDuration writes it ("48h" -> "2d").
std::string Normalized(const std::string& text) {
  static const std::regex kDuration(R"(\b[0-9]+(ms|s|m|h|d)\b)");
  std::string out;
  auto last = text.cbegin();
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kDuration); it != std::sregex_iterator(); ++it) {
    out.append(last, text.cbegin() + it->position());
    const auto d = core::ParseDuration(it->str());
    out += d.ok() ? core::FormatDuration(*d) : it->str();
    last = text.cbegin() + it->position() + it->length();
  }
  out.append(last, text.cend());
  return out;
}

struct ExampleKey {
  std::string value;    // as written, without quotes; empty when commented out
  std::string comment;  // the text after "#" on its line
  bool commented_out = false;
};

// Every key of the example file by schema path ("worker.in_flight", "merchants[].merchant_id"), including the
// ones shown commented out ("  # ca_file: certs/sandbox-ca.pem").
std::map<std::string, ExampleKey> ExampleKeys(const std::string& text) {
  static const std::regex kSection(R"(^([a-z_]+):\s*$)");
  static const std::regex kKey(R"(^\s+(?:- )?(# )?([a-z_]+): ?(.*)$)");
  std::map<std::string, ExampleKey> keys;
  std::istringstream in(text);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kSection)) {
      section = m[1] == "merchants" ? "merchants[]" : std::string(m[1]);
      continue;
    }
    if (section.empty() || !std::regex_match(line, m, kKey)) continue;
    ExampleKey key;
    key.commented_out = m[1].matched;
    std::string rest = m[3];
    const std::size_t hash = key.commented_out ? rest.find("# ") : rest.find("  #");
    if (hash != std::string::npos) {
      key.comment = rest.substr(rest.find('#', hash) + 1);
      rest = rest.substr(0, hash);
    }
    while (!rest.empty() && rest.back() == ' ') rest.pop_back();
    if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"') rest = rest.substr(1, rest.size() - 2);
    if (!key.commented_out) key.value = rest;
    keys.emplace(section + "." + std::string(m[2]), key);
  }
  return keys;
}

}  // namespace

BOOST_AUTO_TEST_CASE(readme_table_is_the_schema) {
  const std::string readme = ReadText(kReadme);
  const std::size_t start = readme.find("| key | meaning | default | range |\n|---|---|---|---|\n");
  BOOST_TEST_REQUIRE(start != std::string::npos);
  std::istringstream in(readme.substr(start));
  std::vector<std::string> rows;
  std::string line;
  std::getline(in, line);
  std::getline(in, line);
  while (std::getline(in, line) && line.rfind("|", 0) == 0) rows.push_back(line);
  std::string expected;
  for (const Key& key : Schema()) expected += ReadmeRow(key) + "\n";
  // On a mismatch the message holds the whole table as the schema says it, ready to paste into the README.
  BOOST_TEST(Joined(rows) == expected);
}

BOOST_AUTO_TEST_CASE(example_file_documents_every_key_with_its_default_and_range) {
  const std::map<std::string, ExampleKey> example = ExampleKeys(ReadText(kExample));
  std::set<std::string> schema_paths;
  for (const Key& key : Schema()) {
    const std::string path(key.path);
    schema_paths.insert(path);
    BOOST_TEST_CONTEXT(path) {
      const auto it = example.find(path);
      BOOST_TEST_REQUIRE((it != example.end()), "the example file does not show the key");
      const ExampleKey& shown = it->second;
      if (!key.default_value.empty()) {
        BOOST_TEST(!shown.commented_out);
        BOOST_TEST(Normalized(shown.value) == Normalized(std::string(key.default_value)));
      }
      if (IsNumeric(key)) {
        // The range, first of all it says ("10s-1h, longer than ..."), ends the key's comment.
        const std::string range = Normalized(Plain(std::string(key.range)));
        const std::string comment = Normalized(Plain(shown.comment));
        BOOST_TEST(comment.size() >= range.size());
        BOOST_TEST(comment.substr(comment.size() - std::min(comment.size(), range.size())) == range);
      }
    }
  }
  for (const auto& [path, shown] : example) BOOST_TEST(schema_paths.count(path) == 1u, path << " is not a key");
}

BOOST_AUTO_TEST_CASE(schema_defaults_are_the_built_in_ones) {
  const Settings defaults = LoadFromString(kMerchant, TestEnv(), "");
  for (const Key& key : Schema()) {
    if (key.default_value.empty() || key.of_settings == nullptr) continue;
    BOOST_TEST_CONTEXT(key.path) {
      BOOST_TEST(Normalized(Text(key.of_settings(defaults))) == Normalized(std::string(key.default_value)));
    }
  }
}

BOOST_AUTO_TEST_CASE(schema_ranges_are_the_ones_it_documents) {
  // The range text's numbers are the ones the loader checks: "100ms–60s" is min 100 ms, max 60 s.
  static const std::regex kSpan("([0-9]+(?:ms|s|m|h|d)?)\u2013([0-9]+(?:ms|s|m|h|d)?)");
  const auto number = [](const std::string& text, Type type) -> std::int64_t {
    if (type == Type::kDuration || type == Type::kDurationList) return core::ParseDuration(text)->count();
    return std::stoll(text);
  };
  for (const Key& key : Schema()) {
    if (key.max == 0 && key.count_max == 0) continue;
    BOOST_TEST_CONTEXT(key.path) {
      const std::string range(key.range);
      std::vector<std::pair<std::string, std::string>> spans;
      for (auto it = std::sregex_iterator(range.begin(), range.end(), kSpan); it != std::sregex_iterator(); ++it) {
        spans.emplace_back((*it)[1], (*it)[2]);
      }
      BOOST_TEST_REQUIRE(!spans.empty());
      if (key.type == Type::kDurationList) {
        BOOST_TEST_REQUIRE(spans.size() == 2u);
        BOOST_TEST(std::stoll(spans[0].first) == key.count_min);
        BOOST_TEST(std::stoll(spans[0].second) == key.count_max);
        spans.erase(spans.begin());
      }
      const Type type = key.type == Type::kText ? Type::kInteger : key.type;
      BOOST_TEST(number(spans[0].first, type) == key.min);
      BOOST_TEST(number(spans[0].second, type) == key.max);
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_keys_come_from_the_schema) {
  BOOST_TEST(KeysOf("") == (std::vector<std::string_view>{"database", "amazonpay", "merchants", "worker", "reports",
                                                         "metrics"}),
             boost::test_tools::per_element());
  for (const Key& key : Schema()) {
    if (key.Section() == "merchants[]") continue;
    BOOST_TEST_CONTEXT(key.path) {
      // Every key of the schema is accepted; a near miss of it is not.
      const std::string section(key.Section());
      const std::string typo = std::string(key.Name()) + "x";
      BOOST_TEST(OneProblem(std::string(kMerchant) + section + ":\n  " + typo + ": 1\n") ==
                 section + "." + typo + ": unknown key");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
