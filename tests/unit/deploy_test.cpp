// The deployment files under deploy/ parse (YAML manifests, systemd units, crontab, Dockerfile) and say what
// the README promises: non-root, secrets from a Secret, config from a ConfigMap, a reports volume, deadlines.
#include <boost/test/unit_test.hpp>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string DeployPath(const std::string& rel) { return std::string(PAYRECON_SOURCE_DIR) + "/deploy/" + rel; }

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

YAML::Node LoadManifest(const std::string& rel) {
  YAML::Node n = YAML::LoadFile(DeployPath(rel));
  BOOST_REQUIRE_MESSAGE(n.IsMap(), rel << " is not a YAML mapping");
  BOOST_REQUIRE(n["apiVersion"] && n["kind"] && n["metadata"]["name"]);
  return n;
}

// A systemd unit file: [Section] headers and Key=Value lines; comments with # or ;. Fails on anything else.
std::map<std::string, std::map<std::string, std::string>> ParseUnit(const std::string& rel) {
  std::map<std::string, std::map<std::string, std::string>> unit;
  std::istringstream in(Slurp(DeployPath(rel)));
  std::string line, section;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      BOOST_REQUIRE_MESSAGE(line.back() == ']', rel << ":" << number << ": bad section header");
      section = line.substr(1, line.size() - 2);
      unit[section];
      continue;
    }
    const auto eq = line.find('=');
    BOOST_REQUIRE_MESSAGE(eq != std::string::npos && eq > 0, rel << ":" << number << ": expected Key=Value");
    BOOST_REQUIRE_MESSAGE(!section.empty(), rel << ":" << number << ": key outside a section");
    unit[section][line.substr(0, eq)] = line.substr(eq + 1);
  }
  return unit;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(deploy)

BOOST_AUTO_TEST_CASE(cronjob_manifest) {
  const YAML::Node cj = LoadManifest("kubernetes/cronjob.yaml");
  BOOST_TEST(cj["kind"].as<std::string>() == "CronJob");
  BOOST_TEST(cj["spec"]["schedule"].as<std::string>() == "*/5 * * * *");
  BOOST_TEST(cj["spec"]["concurrencyPolicy"].as<std::string>() == "Forbid");
  const YAML::Node job = cj["spec"]["jobTemplate"]["spec"];
  BOOST_TEST(job["activeDeadlineSeconds"].as<int>() > 0);
  BOOST_TEST(job["backoffLimit"].as<int>() == 0);
  const YAML::Node pod = job["template"]["spec"];
  BOOST_TEST(pod["restartPolicy"].as<std::string>() == "Never");
  BOOST_TEST(pod["securityContext"]["runAsNonRoot"].as<bool>());
  const YAML::Node c = pod["containers"][0];
  BOOST_TEST(c["args"][0].as<std::string>() == "run");
  BOOST_TEST(c["envFrom"][0]["secretRef"]["name"].as<std::string>() == "payrecon-secrets");
  bool config = false, reports = false;
  for (const auto& v : pod["volumes"]) {
    if (v["configMap"]) config = v["configMap"]["name"].as<std::string>() == "payrecon-config";
    if (v["persistentVolumeClaim"]) reports = v["persistentVolumeClaim"]["claimName"].as<std::string>() == "payrecon-reports";
  }
  BOOST_TEST(config);
  BOOST_TEST(reports);
  // The run's own deadline ends it before Kubernetes kills it.
  const auto args = c["args"].as<std::vector<std::string>>();
  BOOST_TEST(args.back() == "240s");
  BOOST_TEST(240 < job["activeDeadlineSeconds"].as<int>());
}

BOOST_AUTO_TEST_CASE(migrate_job_configmap_secret_pvc) {
  const YAML::Node job = LoadManifest("kubernetes/migrate-job.yaml");
  BOOST_TEST(job["kind"].as<std::string>() == "Job");
  BOOST_TEST(job["spec"]["template"]["spec"]["containers"][0]["args"][0].as<std::string>() == "migrate");
  const YAML::Node cm = LoadManifest("kubernetes/configmap.yaml");
  BOOST_TEST(cm["kind"].as<std::string>() == "ConfigMap");
  const YAML::Node embedded = YAML::Load(cm["data"]["payrecon.yaml"].as<std::string>());
  BOOST_TEST(embedded["database"].IsMap());
  BOOST_TEST(embedded["merchants"][0]["secret_key_env"].as<std::string>() == "AMAZONPAY_SECRET_A2XMNOQAN8MC64");
  const YAML::Node secret = LoadManifest("kubernetes/secret.example.yaml");
  BOOST_TEST(secret["kind"].as<std::string>() == "Secret");
  BOOST_TEST(secret["stringData"]["AMAZONPAY_SECRET_A2XMNOQAN8MC64"].IsScalar());
  BOOST_TEST(LoadManifest("kubernetes/reports-pvc.yaml")["kind"].as<std::string>() == "PersistentVolumeClaim");
}

BOOST_AUTO_TEST_CASE(systemd_units) {
  auto service = ParseUnit("systemd/payrecon.service");
  BOOST_TEST(service["Service"]["Type"] == "oneshot");
  BOOST_TEST(service["Service"]["User"] == "payrecon");
  BOOST_TEST(service["Service"]["ExecStart"].rfind("/usr/local/bin/payrecon run --config ", 0) == 0u);
  BOOST_TEST(service["Service"]["EnvironmentFile"] == "/etc/payrecon/secrets.env");
  auto timer = ParseUnit("systemd/payrecon.timer");
  BOOST_TEST(timer["Timer"]["Unit"] == "payrecon.service");
  BOOST_TEST(!timer["Timer"]["OnCalendar"].empty());
  BOOST_TEST(timer["Install"]["WantedBy"] == "timers.target");
}

BOOST_AUTO_TEST_CASE(crontab_and_dockerfile) {
  std::istringstream cron(Slurp(DeployPath("crontab")));
  std::string line;
  int entries = 0;
  while (std::getline(cron, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::vector<std::string> f;
    std::string w;
    while (fields >> w) f.push_back(w);
    BOOST_REQUIRE(f.size() >= 7u);  // five time fields, a user, a command
    BOOST_TEST(f[5] == "payrecon");
    ++entries;
  }
  BOOST_TEST(entries == 1);
  const std::string docker = Slurp(DeployPath("Dockerfile"));
  BOOST_TEST(docker.find("FROM debian:bookworm AS build") != std::string::npos);
  BOOST_TEST(docker.find("FROM debian:bookworm-slim") != std::string::npos);
  BOOST_TEST(docker.find("USER 10001:10001") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
