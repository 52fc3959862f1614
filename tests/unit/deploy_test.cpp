// The deployment files under deploy/ parse and say what the README promises: the kustomize renders pass the Pod
// Security "restricted" checks (kubectl kustomize), secrets arrive as files, the systemd unit scores 2.5 or better
// in systemd-analyze security, the alert rules pass their promtool unit tests, the Dockerfile keeps the sandbox
// out of the production image.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

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

// Runs a shell command; its exit status and stdout (stderr joins stdout).
std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  BOOST_REQUIRE_MESSAGE(pipe, "cannot run " << command);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

void RequireTool(const std::string& path) {
  BOOST_REQUIRE_MESSAGE(std::ifstream(path).good(), path << " is missing: run scripts/setup.sh");
}

// The documents `kubectl kustomize deploy/<dir>` renders.
std::vector<YAML::Node> Kustomize(const std::string& dir) {
  RequireTool("/usr/bin/kubectl");
  const auto [rc, out] = RunCommand("/usr/bin/kubectl kustomize '" + DeployPath(dir) + "'");
  BOOST_REQUIRE_MESSAGE(rc == 0, "kubectl kustomize " << dir << ": " << out);
  std::vector<YAML::Node> docs;
  for (const YAML::Node& d : YAML::LoadAll(out)) {
    if (d.IsMap()) docs.push_back(d);
  }
  return docs;
}

// The pod spec of a workload (Pod, Job, CronJob, Deployment, StatefulSet, DaemonSet), or nullopt.
std::optional<YAML::Node> PodSpecOf(const YAML::Node& doc) {
  const std::string kind = doc["kind"].as<std::string>();
  if (kind == "Pod") return doc["spec"];
  if (kind == "CronJob") return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"];
  if (kind == "Job" || kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet") {
    return doc["spec"]["template"]["spec"];
  }
  return std::nullopt;
}

bool IsTrue(const YAML::Node& n) { return n && n.IsScalar() && n.as<std::string>() == "true"; }

// What breaks the Pod Security "restricted" level (plus our own rules: read-only root file system, no service
// account token, no secret in the environment). Empty when the pod is acceptable.
std::vector<std::string> RestrictedProblems(const YAML::Node& pod) {
  std::vector<std::string> p;
  const YAML::Node psc = pod["securityContext"];
  for (const char* host : {"hostNetwork", "hostPID", "hostIPC"}) {
    if (IsTrue(pod[host])) p.push_back(std::string(host) + " is true");
  }
  const YAML::Node token = pod["automountServiceAccountToken"];
  if (!token || token.as<std::string>() != "false") p.push_back("automountServiceAccountToken is not false");
  if (psc && psc["runAsUser"] && psc["runAsUser"].as<long>() == 0) p.push_back("pod runAsUser is 0");
  const std::set<std::string> allowed_volumes = {"configMap", "secret", "emptyDir", "persistentVolumeClaim",
                                                 "projected", "downwardAPI", "csi", "ephemeral"};
  for (const YAML::Node& v : pod["volumes"]) {
    for (const auto& field : v) {
      const std::string type = field.first.as<std::string>();
      if (type != "name" && !allowed_volumes.count(type)) p.push_back("volume type " + type);
    }
  }
  const bool pod_non_root = psc && IsTrue(psc["runAsNonRoot"]);
  const std::string pod_seccomp = psc && psc["seccompProfile"] ? psc["seccompProfile"]["type"].as<std::string>() : "";
  for (const char* list : {"initContainers", "containers"}) {
    for (const YAML::Node& c : pod[list]) {
      const std::string name = c["name"].as<std::string>();
      const YAML::Node sc = c["securityContext"];
      auto problem = [&](const std::string& what) { p.push_back("container " + name + ": " + what); };
      if (!sc) {
        problem("no securityContext");
        continue;
      }
      if (!(sc["allowPrivilegeEscalation"] && sc["allowPrivilegeEscalation"].as<std::string>() == "false")) {
        problem("allowPrivilegeEscalation is not false");
      }
      if (IsTrue(sc["privileged"])) problem("privileged");
      bool drops_all = false;
      for (const YAML::Node& d : sc["capabilities"]["drop"]) drops_all = drops_all || d.as<std::string>() == "ALL";
      if (!drops_all) problem("capabilities do not drop ALL");
      for (const YAML::Node& a : sc["capabilities"]["add"]) {
        if (a.as<std::string>() != "NET_BIND_SERVICE") problem("adds capability " + a.as<std::string>());
      }
      if (!(pod_non_root || IsTrue(sc["runAsNonRoot"]))) problem("runAsNonRoot is not true");
      if (sc["runAsNonRoot"] && !IsTrue(sc["runAsNonRoot"])) problem("runAsNonRoot is false");
      if (sc["runAsUser"] && sc["runAsUser"].as<long>() == 0) problem("runAsUser is 0");
      const std::string seccomp = sc["seccompProfile"] ? sc["seccompProfile"]["type"].as<std::string>() : pod_seccomp;
      if (seccomp != "RuntimeDefault" && seccomp != "Localhost") problem("seccompProfile is not RuntimeDefault");
      if (!IsTrue(sc["readOnlyRootFilesystem"])) problem("readOnlyRootFilesystem is not true");
      if (c["ports"]) {
        for (const YAML::Node& port : c["ports"]) {
          if (port["hostPort"]) problem("hostPort");
        }
      }
      for (const YAML::Node& e : c["envFrom"]) {
        if (e["secretRef"]) problem("secret in the environment (envFrom)");
      }
      for (const YAML::Node& e : c["env"]) {
        if (e["valueFrom"] && e["valueFrom"]["secretKeyRef"]) problem("secret in the environment (" + e["name"].as<std::string>() + ")");
      }
    }
  }
  return p;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

// The mount path of the volume named `volume` in container `c`, or "".
std::string MountPath(const YAML::Node& c, const std::string& volume) {
  for (const YAML::Node& m : c["volumeMounts"]) {
    if (m["name"].as<std::string>() == volume) return m["mountPath"].as<std::string>();
  }
  return "";
}

// The volume of `pod` that `path` lies in, as mounted in container `c`: its definition, or a null node.
YAML::Node VolumeHolding(const YAML::Node& pod, const YAML::Node& c, const std::string& path) {
  for (const YAML::Node& m : c["volumeMounts"]) {
    const std::string at = m["mountPath"].as<std::string>() + "/";
    if (path.rfind(at, 0) == 0) {
      for (const YAML::Node& v : pod["volumes"]) {
        if (v["name"].as<std::string>() == m["name"].as<std::string>()) return v;
      }
    }
  }
  return YAML::Node();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(deploy)

// Every pod the kustomize base and the migration render passes the restricted-profile checks.
BOOST_AUTO_TEST_CASE(rendered_pods_meet_the_restricted_profile) {
  int pods = 0;
  for (const char* dir : {"kubernetes", "kubernetes/migrate"}) {
    for (const YAML::Node& doc : Kustomize(dir)) {
      const std::optional<YAML::Node> spec = PodSpecOf(doc);
      if (!spec) continue;
      const YAML::Node pod = *spec;
      ++pods;
      BOOST_TEST_CONTEXT(doc["kind"].as<std::string>() << " " << doc["metadata"]["name"].as<std::string>()) {
        const auto problems = RestrictedProblems(pod);
        BOOST_TEST(problems.empty(), Join(problems));
        BOOST_TEST(pod["securityContext"]["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
        BOOST_TEST(pod["securityContext"]["runAsUser"].as<int>() == 10001);
        BOOST_TEST(pod["serviceAccountName"].as<std::string>() == "payrecon");
      }
    }
  }
  BOOST_TEST(pods == 2);
}

// The checker finds what a restricted namespace would reject (so the test above can fail).
BOOST_AUTO_TEST_CASE(restricted_checker_rejects_the_old_manifests) {
  const YAML::Node old = YAML::Load(R"(
securityContext: {runAsNonRoot: true, runAsUser: 10001}
containers:
  - name: payrecon
    envFrom: [{secretRef: {name: payrecon-secrets}}]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
volumes:
  - {name: host, hostPath: {path: /etc}}
)");
  BOOST_TEST(Join(RestrictedProblems(old)) ==
             "automountServiceAccountToken is not false; volume type hostPath; "
             "container payrecon: seccompProfile is not RuntimeDefault; "
             "container payrecon: readOnlyRootFilesystem is not true; "
             "container payrecon: secret in the environment (envFrom)");
}

// Secrets are files: each merchant's secret_key_file and libpq's PGPASSFILE lie in mounted volumes (the password
// file in memory, copied 0600 by the init container), and the database CA is mounted where sslrootcert points.
BOOST_AUTO_TEST_CASE(secrets_and_ca_are_mounted_files) {
  std::map<std::string, YAML::Node> configmaps;
  std::vector<YAML::Node> pods;
  for (const char* dir : {"kubernetes", "kubernetes/migrate"}) {
    for (const YAML::Node& doc : Kustomize(dir)) {
      if (doc["kind"].as<std::string>() == "ConfigMap") configmaps[doc["metadata"]["name"].as<std::string>()] = doc;
      if (const auto spec = PodSpecOf(doc)) pods.push_back(*spec);
    }
  }
  BOOST_REQUIRE(configmaps.count("payrecon-config") == 1u);
  const YAML::Node config = YAML::Load(configmaps["payrecon-config"]["data"]["payrecon.yaml"].as<std::string>());
  const std::string conninfo = config["database"]["conninfo"].as<std::string>();
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(conninfo, m, std::regex("sslrootcert=(\\S+)")));
  const std::string ca = m[1];
  BOOST_TEST(conninfo.find("sslmode=verify-full") != std::string::npos);
  BOOST_TEST(conninfo.find("password") == std::string::npos);
  BOOST_REQUIRE(pods.size() == 2u);
  for (const YAML::Node& pod : pods) {
    const YAML::Node c = pod["containers"][0];
    const YAML::Node ca_volume = VolumeHolding(pod, c, ca);
    BOOST_TEST(ca_volume["configMap"]["name"].as<std::string>() == "payrecon-db-ca");
    for (const YAML::Node& merchant : config["merchants"]) {
      BOOST_TEST(!merchant["secret_key_env"]);
      const YAML::Node v = VolumeHolding(pod, c, merchant["secret_key_file"].as<std::string>());
      BOOST_TEST(v["secret"]["secretName"].as<std::string>() == "payrecon-merchant-keys");
    }
    std::string pgpassfile;
    for (const YAML::Node& e : c["env"]) {
      if (e["name"].as<std::string>() == "PGPASSFILE") pgpassfile = e["value"].as<std::string>();
    }
    const YAML::Node memory = VolumeHolding(pod, c, pgpassfile);
    BOOST_TEST(memory["emptyDir"]["medium"].as<std::string>() == "Memory");
    // The init container fills it from the Secret with mode 0600 (libpq ignores a group-readable file).
    const YAML::Node init = pod["initContainers"][0];
    const std::string copy = init["command"][2].as<std::string>();
    BOOST_TEST(copy.find("install -m 0600 ") == 0u);
    BOOST_TEST(copy.find(" " + pgpassfile) != std::string::npos);
    const std::string source = copy.substr(16, copy.find(' ', 16) - 16);
    BOOST_TEST(VolumeHolding(pod, init, source)["secret"]["secretName"].as<std::string>() == "payrecon-db");
    BOOST_TEST(MountPath(init, memory["name"].as<std::string>()) == MountPath(c, memory["name"].as<std::string>()));
  }
}

BOOST_AUTO_TEST_CASE(network_policy_service_account_and_metrics) {
  bool policy = false, account = false;
  for (const YAML::Node& doc : Kustomize("kubernetes")) {
    const std::string kind = doc["kind"].as<std::string>();
    if (kind == "NetworkPolicy") {
      policy = true;
      BOOST_TEST(doc["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>() == "payrecon");
      BOOST_TEST(doc["spec"]["policyTypes"].size() == 2u);
      BOOST_TEST(doc["spec"]["ingress"].size() == 0u);  // nothing may connect to payrecon
      BOOST_TEST(doc["spec"]["egress"].size() >= 3u);
    }
    if (kind == "ServiceAccount") {
      account = true;
      BOOST_TEST(doc["automountServiceAccountToken"].as<std::string>() == "false");
    }
    if (kind == "CronJob") {
      const YAML::Node labels = doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"];
      BOOST_TEST(labels["app.kubernetes.io/name"].as<std::string>() == "payrecon");
    }
    if (kind == "ConfigMap") {
      const YAML::Node config = YAML::Load(doc["data"]["payrecon.yaml"].as<std::string>());
      BOOST_TEST(!config["metrics"]["pushgateway_url"].as<std::string>().empty());
      BOOST_TEST(!config["metrics"]["instance"]);  // one group for every pod
    }
  }
  BOOST_TEST(policy);
  BOOST_TEST(account);
}

// The migration Job's name carries the image version, so the next version's Job is a new object; finished Jobs
// are cleaned up.
BOOST_AUTO_TEST_CASE(migrate_job_is_rerunnable) {
  const auto docs = Kustomize("kubernetes/migrate");
  BOOST_REQUIRE(docs.size() == 1u);
  const YAML::Node job = docs[0];
  BOOST_TEST(job["kind"].as<std::string>() == "Job");
  const std::string image = job["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>();
  std::string version = image.substr(image.rfind(':') + 1);
  for (char& ch : version) {
    if (ch == '.') ch = '-';
  }
  BOOST_TEST(job["metadata"]["name"].as<std::string>() == "payrecon-migrate-" + version);
  BOOST_TEST(job["spec"]["ttlSecondsAfterFinished"].as<int>() > 0);
  BOOST_TEST(job["spec"]["template"]["spec"]["containers"][0]["args"][0].as<std::string>() == "migrate");
  // Both kustomizations deploy the same image.
  for (const YAML::Node& doc : Kustomize("kubernetes")) {
    if (doc["kind"].as<std::string>() == "CronJob") {
      BOOST_TEST(doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>() ==
                 image);
    }
  }
}

BOOST_AUTO_TEST_CASE(cronjob_manifest) {
  const YAML::Node cj = LoadManifest("kubernetes/cronjob.yaml");
  BOOST_TEST(cj["kind"].as<std::string>() == "CronJob");
  BOOST_TEST(cj["spec"]["schedule"].as<std::string>() == "*/5 * * * *");
  BOOST_TEST(cj["spec"]["concurrencyPolicy"].as<std::string>() == "Forbid");
  const YAML::Node job = cj["spec"]["jobTemplate"]["spec"];
  BOOST_TEST(job["backoffLimit"].as<int>() == 0);
  const YAML::Node pod = job["template"]["spec"];
  BOOST_TEST(pod["restartPolicy"].as<std::string>() == "Never");
  const YAML::Node c = pod["containers"][0];
  BOOST_TEST(c["args"][0].as<std::string>() == "run");
  bool config = false, reports = false;
  for (const auto& v : pod["volumes"]) {
    if (v["configMap"] && v["configMap"]["name"].as<std::string>() == "payrecon-config") config = true;
    if (v["persistentVolumeClaim"]) reports = v["persistentVolumeClaim"]["claimName"].as<std::string>() == "payrecon-reports";
  }
  BOOST_TEST(config);
  BOOST_TEST(reports);
  // The run's own deadline ends it before Kubernetes kills it.
  const auto args = c["args"].as<std::vector<std::string>>();
  BOOST_TEST(args.back() == "240s");
  BOOST_TEST(240 < job["activeDeadlineSeconds"].as<int>());
}

BOOST_AUTO_TEST_CASE(systemd_units) {
  auto service = ParseUnit("systemd/payrecon.service");
  BOOST_TEST(service["Service"]["Type"] == "oneshot");
  BOOST_TEST(service["Service"]["User"] == "payrecon");
  BOOST_TEST(service["Service"]["ExecStart"].rfind("/usr/local/bin/payrecon run --config ", 0) == 0u);
  BOOST_TEST(service["Service"]["UMask"] == "0027");
  BOOST_TEST(service["Service"].count("EnvironmentFile") == 0u);  // secrets are credentials, not environment
  BOOST_TEST(service["Service"]["Environment"] == "PGPASSFILE=%d/pgpass");
  BOOST_TEST(Slurp(DeployPath("systemd/payrecon.service")).find("\nLoadCredential=pgpass:") != std::string::npos);
  auto timer = ParseUnit("systemd/payrecon.timer");
  BOOST_TEST(timer["Timer"]["Unit"] == "payrecon.service");
  BOOST_TEST(!timer["Timer"]["OnCalendar"].empty());
  BOOST_TEST(timer["Install"]["WantedBy"] == "timers.target");
}

// systemd's own rating of the unit's sandboxing: 2.5 or better (lower is better), and the README quotes it.
BOOST_AUTO_TEST_CASE(systemd_security_score) {
  RequireTool("/usr/bin/systemd-analyze");
  const auto [rc, out] =
      RunCommand("/usr/bin/systemd-analyze security --offline=true --no-pager '" + DeployPath("systemd/payrecon.service") + "'");
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(std::regex_search(out, m, std::regex(R"(Overall exposure level for payrecon\.service: (\d+\.\d) (\w+))")),
                        out);
  const std::string score = m[1];
  BOOST_TEST(std::stod(score) <= 2.5, "exposure " << score);
  BOOST_TEST(rc == 0, out);
  const std::string quoted = "rates the unit " + score + " " + m[2].str();
  std::ifstream readme(std::string(PAYRECON_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << readme.rdbuf();
  BOOST_TEST(text.str().find(quoted) != std::string::npos, "README must say \"" << quoted << "\"");
  BOOST_TEST(Slurp(DeployPath("systemd/payrecon.service")).find("rates this unit " + score + " " + m[2].str()) !=
             std::string::npos);
}

// The alert rules pass their unit tests (rules_test.yaml): alerts fire, and clear, when they should.
BOOST_AUTO_TEST_CASE(promtool_test_rules) {
  RequireTool("/usr/bin/promtool");
  const auto [check_rc, check_out] = RunCommand("/usr/bin/promtool check rules '" + DeployPath("prometheus/rules.yaml") + "'");
  BOOST_TEST(check_rc == 0, check_out);
  const auto [rc, out] = RunCommand("cd '" + DeployPath("prometheus") + "' && /usr/bin/promtool test rules rules_test.yaml");
  BOOST_TEST(rc == 0, out);
  BOOST_TEST(out.find("SUCCESS") != std::string::npos, out);
}

// Every alert has a severity and a runbook that is a section of the README.
BOOST_AUTO_TEST_CASE(alert_rules_have_severity_and_runbook) {
  const YAML::Node rules = YAML::LoadFile(DeployPath("prometheus/rules.yaml"));
  std::ifstream readme_file(std::string(PAYRECON_SOURCE_DIR) + "/README.md");
  std::stringstream readme;
  readme << readme_file.rdbuf();
  std::set<std::string> anchors;
  std::istringstream lines(readme.str());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) != 0) continue;
    std::string anchor;
    for (char ch : line.substr(line.find(' ') + 1)) {
      if (std::isalnum(static_cast<unsigned char>(ch))) anchor += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      else if (ch == ' ' || ch == '-') anchor += '-';
    }
    anchors.insert(anchor);
  }
  int alerts = 0;
  for (const YAML::Node& rule : rules["groups"][0]["rules"]) {
    const std::string name = rule["alert"].as<std::string>();
    ++alerts;
    BOOST_TEST_CONTEXT(name) {
      const std::string severity = rule["labels"]["severity"].as<std::string>();
      BOOST_TEST((severity == "critical" || severity == "warning"));
      const std::string runbook = rule["annotations"]["runbook_url"].as<std::string>();
      BOOST_TEST(runbook.rfind("https://github.com/payrecon/payrecon/blob/main/README.md#", 0) == 0u);
      BOOST_TEST(anchors.count(runbook.substr(runbook.find('#') + 1)) == 1u, "README has no section for " << runbook);
      BOOST_TEST(!rule["annotations"]["summary"].as<std::string>().empty());
    }
  }
  BOOST_TEST(alerts >= 10);
}

BOOST_AUTO_TEST_CASE(crontab_and_logrotate) {
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
    BOOST_TEST(f[6] == "umask");
    BOOST_TEST(line.find("PGPASSFILE=") != std::string::npos);
    BOOST_TEST(line.find("secrets.env") == std::string::npos);
    ++entries;
  }
  BOOST_TEST(entries == 1);
  // logrotate rotates the two files the crontab appends to.
  const std::string rotate = Slurp(DeployPath("logrotate/payrecon"));
  BOOST_TEST(rotate.find("/var/log/payrecon/run.jsonl /var/log/payrecon/payrecon.log {") != std::string::npos);
  BOOST_TEST(rotate.find("create 0640 payrecon payrecon") != std::string::npos);
  RequireTool("/usr/sbin/logrotate");
  // --debug parses and plans without touching anything; the `su` user must exist, so check a copy without it.
  std::string without_su = rotate;
  without_su.erase(without_su.find("    su payrecon payrecon\n"), 25);
  const std::string copy = std::string(::getenv("TMPDIR") ? ::getenv("TMPDIR") : "/tmp") + "/payrecon-logrotate-test";
  std::ofstream(copy) << std::regex_replace(without_su, std::regex("create 0640 payrecon payrecon"), "create 0640");
  const auto [rc, out] = RunCommand("/usr/sbin/logrotate --debug --state /dev/null '" + copy + "'");
  std::remove(copy.c_str());
  BOOST_TEST(rc == 0, out);
  BOOST_TEST(out.find("error") == std::string::npos, out);
}

// Three stages: the production image (the last, default one) gets payrecon only, stripped; the sandbox has its
// own target; both carry OCI labels and run as 10001.
BOOST_AUTO_TEST_CASE(dockerfile_stages) {
  const std::string docker = Slurp(DeployPath("Dockerfile"));
  BOOST_TEST(docker.find("FROM debian:bookworm AS build") != std::string::npos);
  BOOST_TEST(docker.find("FROM debian:bookworm-slim AS runtime") != std::string::npos);
  const std::size_t sandbox = docker.find("FROM runtime AS sandbox");
  const std::size_t production = docker.find("FROM runtime AS production");
  BOOST_REQUIRE(sandbox != std::string::npos);
  BOOST_REQUIRE(production != std::string::npos);
  BOOST_TEST(docker.find("\nFROM ", production + 1) == std::string::npos);  // production is the default target
  const std::string production_stage = docker.substr(production);
  BOOST_TEST(production_stage.find("sandbox") == std::string::npos);
  BOOST_TEST(docker.find("install -D -m 0755 -s /build/jobs/payrecon ") != std::string::npos);
  BOOST_TEST(docker.find("install -D -m 0755 -s /build/sandbox/payrecon-sandbox ") != std::string::npos);
  BOOST_TEST(docker.find("USER 10001:10001") != std::string::npos);
  BOOST_TEST(docker.find("org.opencontainers.image.revision=") != std::string::npos);
  BOOST_TEST(production_stage.find("org.opencontainers.image.title=\"payrecon\"") != std::string::npos);
  // The build context is an allowlist: everything is out unless named.
  const std::string ignore = Slurp(std::string(PAYRECON_SOURCE_DIR) + "/.dockerignore");
  BOOST_TEST(ignore.find("\n*\n") != std::string::npos);
  BOOST_TEST(ignore.find("!build") == std::string::npos);
  BOOST_TEST(ignore.find("!.git") == std::string::npos);
  // ... and names every folder the top-level CMakeLists.txt builds, and the completion the image installs.
  const std::string cmake = Slurp(std::string(PAYRECON_SOURCE_DIR) + "/CMakeLists.txt");
  std::smatch folders;
  BOOST_REQUIRE(std::regex_search(cmake, folders, std::regex(R"(foreach\(dir ([a-z ]+)\))")));
  std::istringstream names(folders[1].str());
  int listed = 0;
  for (std::string dir; names >> dir;) {
    if (dir == "dir") continue;
    ++listed;
    BOOST_TEST(ignore.find("\n!" + dir + "/\n") != std::string::npos, ".dockerignore does not let " << dir << "/ in");
  }
  BOOST_TEST(listed >= 6);
  BOOST_TEST(ignore.find("\n!deploy/completion/\n") != std::string::npos);
  BOOST_TEST(docker.find("deploy/completion/payrecon.bash /out/payrecon/usr/share/bash-completion/completions/payrecon") !=
             std::string::npos);
  BOOST_TEST(docker.find("/out/payrecon/usr/local/share/man/man1/payrecon.1.gz") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
