#pragma once
// The configuration schema: plain structs with their defaults. config::Load fills them from YAML and the
// environment and checks every range documented here; nothing is clamped. The README's "Configuration" table and
// config/payrecon.example.yaml mirror this file.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/decision.h"
#include "core/secret.h"
#include "core/time.h"
#include "core/time_zone.h"

namespace payrecon::config {

using core::Millis;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// `database`
struct DatabaseSettings {
  // conninfo: a libpq connection string ("host=db dbname=payrecon user=payrecon") or URI
  // ("postgresql://payrecon@db:5432/payrecon"). Default empty: libpq's defaults and its PG* environment variables
  // (PGHOST, PGDATABASE, PGUSER, ...), which libpq honours in every case for what the text leaves out.
  // Must not contain a password (`password=`, `user:pass@`, `?password=`): it comes from PGPASSWORD or PGPASSFILE.
  std::string conninfo;
};

// `amazonpay`
struct AmazonPaySettings {
  // endpoint: the base URL dialled, "https://host[:port]" with no path, query or user info. A trailing "/" is
  // dropped. Default production. Sandbox: "https://amazonpay-sandbox.amazon.in".
  std::string endpoint = "https://amazonpay.amazon.in";
  // Derived from endpoint by Load: "https" or "http", the host, and the port (explicit, or 443 / 80).
  std::string endpoint_scheme = "https";
  std::string endpoint_host = "amazonpay.amazon.in";
  int endpoint_port = 443;
  // signing_host: the host written into the signed canonical text (docs/amazon-pay-protocol.md §1.1): differs from the
  // endpoint's host behind a proxy or with the local sandbox. Default: endpoint_host. A host name, no scheme, port or
  // path.
  std::string signing_host = "amazonpay.amazon.in";
  // allow_insecure_http: whether an "http://" endpoint is accepted (local sandbox only). Default false.
  bool allow_insecure_http = false;
  // ca_file: a PEM bundle of CAs to trust instead of the system store (a private sandbox CA). Default empty:
  // the system store. Must be a readable file; a relative path is taken from the configuration file's folder.
  std::string ca_file;
  // connect_timeout: TCP + TLS connect limit. Default 5s, range 100ms-60s.
  Millis connect_timeout = seconds{5};
  // read_timeout: limit for the answer once connected. Default 10s, range 100ms-120s.
  Millis read_timeout = seconds{10};
  // user_ip: x-amz-user-ip, the originating IP address (IPv4 dotted quad or IPv6). Default "127.0.0.1".
  std::string user_ip = "127.0.0.1";
  // user_agent: x-amz-user-agent; 1-64 characters of A-Z a-z 0-9 - _ . ~ (signed header values stay unreserved).
  // Default "payrecon".
  std::string user_agent = "payrecon";
  // expires: x-amz-expires, seconds a signature stays valid. Default 900, range 300-900
  // (docs/amazon-pay-protocol.md §1.4).
  int expires = 900;
  // response_max_skew: a verified answer whose x-amz-date is further than this from our clock (either way) is
  // not trusted (a replayed or mis-dated answer: BAD_SIGNATURE). Default 5m, range 1s-1h.
  Millis response_max_skew = minutes{5};
};

// One entry of `merchants`: one Amazon Pay merchant account served by this deployment.
struct MerchantSettings {
  // merchant_id: the MID, e.g. "A2XMNOQAN8MC64". Required; 1-64 characters of A-Z a-z 0-9 - _ . ~; unique.
  std::string merchant_id;
  // access_key_id: the merchant's access key id (a UUID-like string). Required; 1-128 characters of A-Z a-z 0-9 - _ . ~.
  std::string access_key_id;
  // The secret key, from exactly one of the two keys below. Never in the configuration text itself.
  core::Secret secret_key;
  // secret_key_env: the name of an environment variable holding the secret (must be set and non-empty).
  std::string secret_key_env;
  // secret_key_file: a file holding the secret (a mounted Kubernetes secret); one trailing "\n" or "\r\n" is
  // trimmed; must be non-empty after that. A relative path is taken from the configuration file's folder.
  std::string secret_key_file;
};

// `worker`: throughput and the reconciliation policy (core::Policy).
struct WorkerSettings {
  // batch_size: transactions claimed per claim and applied per database transaction. Default 500, range 1-10000.
  int batch_size = 500;
  // in_flight: Get Status requests in flight at once. Default 16, range 1-1024.
  int in_flight = 16;
  // max_rps: most requests per second for the whole process; 0 = unlimited. Default 0, range 0-100000.
  int max_rps = 0;
  // lease: how long a claim holds; a crashed run's claims are picked up after it. Default 5m, range 10s-1h, and
  // longer than amazonpay.connect_timeout + amazonpay.read_timeout.
  Millis lease = minutes{5};
  // pending_ladder: the waits before successive checks of a still-pending transaction. Default
  // [15s, 25s, 30s, 35s, 40s, 45s, 50s, 55s]; 1-64 steps, each 1s-1d.
  std::vector<Millis> pending_ladder = core::Policy{}.pending_ladder;
  // pending_after_ladder: the wait once the ladder is used up. Default 5m, range 1s-1d.
  Millis pending_after_ladder = core::Policy{}.pending_after_ladder;
  // error_backoff_base: the first wait after a failed check, doubled per consecutive failure, with jitter.
  // Default 30s, range 1s-1h.
  Millis error_backoff_base = core::Policy{}.error_backoff_base;
  // error_backoff_max: the longest back-off wait. Default 30m, range 1s-1d, at least error_backoff_base.
  Millis error_backoff_max = core::Policy{}.error_backoff_max;
  // error_limit: consecutive failed checks before CHECK_FAILING. Default 5, range 1-1000.
  int error_limit = core::Policy{}.error_limit;
  // failing_recheck: the slow re-check interval once CHECK_FAILING. Default 1h, range 1m-7d.
  Millis failing_recheck = core::Policy{}.failing_recheck;
  // not_found_grace: NOT_FOUND answers are retried while the transaction is younger than this. Default 30m,
  // range 0s-7d.
  Millis not_found_grace = core::Policy{}.not_found_grace;
  // charge_stuck_after: a charge or top-up pending longer than this after created_at is STUCK_PENDING.
  // Default 30m (900 s charge timeout + 15 min grace), range 1m-30d.
  Millis charge_stuck_after = core::Policy{}.charge_stuck_after;
  // refund_stuck_after: the same for refunds. Default 48h, range 1m-30d.
  Millis refund_stuck_after = core::Policy{}.refund_stuck_after;
  // auth_failures_to_stop: consecutive 401/403 answers that stop the run (exit 4). Default 3, range 1-100.
  int auth_failures_to_stop = 3;
  // deadline: how long `run` and `backfill` may take when --deadline is not given. Default 10m, range 1s-7d.
  Millis deadline = minutes{10};
  // progress_interval: how often `run` and `backfill` log a progress line (counts so far, rate). Default 10s,
  // range 1s-1h.
  Millis progress_interval = seconds{10};
  // retry_after_max: the longest a gateway's Retry-After holds every worker back (when most answers are 429/503;
  // a lone one pauses them 100 ms). The run's deadline caps it too. Default 1m, range 0s-1h.
  Millis retry_after_max = minutes{1};
  // stuck_repeat: a resolved STUCK_PENDING is raised again when the transaction is still pending this long after
  // the resolution. Default 24h, range 1m-30d.
  Millis stuck_repeat = hours{24};

  // The policy knobs as core's decision logic takes them.
  core::Policy ToPolicy() const;
};

// `reports`
struct ReportsSettings {
  // dir: the folder under which each run writes `<UTC time>-<run_id>/`. Default "reports"; a relative path is
  // taken from the configuration file's folder.
  std::string dir = "reports";
  // display_timezone: the IANA time zone name ("Asia/Kolkata", "America/New_York") in which summary.html,
  // index.html and the `show` table write times, each followed by the zone's abbreviation. CSV, JSON and logs stay
  // UTC. Default "UTC". Read from the tz database's TZif file under $TZDIR or /usr/share/zoneinfo (Debian package
  // tzdata) when the configuration is loaded; an unknown name is a configuration error.
  std::string display_timezone = "UTC";
  core::TimeZone display_zone = core::TimeZone::Utc();  // set by Load from display_timezone
  // index_runs: how many of the last runs and backfills reports/index.html lists and charts. Default 200, range
  // 1-5000.
  int index_runs = 200;
  // pending_limit: the most rows pending.csv lists, oldest first (summary.json and summary.html still count every
  // pending transaction; `payrecon pending` lists them all). Default 50000, range 0-10000000.
  int pending_limit = 50000;
  // keep: when a run ends, run folders under `dir` that started longer ago than this, and temporary folders left
  // by interrupted runs older than this, are removed (only names payrecon gives its folders). Default 30d; 0s
  // keeps everything; else 1h-3650d.
  Millis keep = hours{24 * 30};
};

// `metrics`: what `run` and `backfill` leave for Prometheus at their end (dry runs leave nothing).
struct MetricsSettings {
  // textfile: a file to write the run's metrics to in the Prometheus text format, for node_exporter's textfile
  // collector (a `*.prom` file in its folder). Replaced atomically (temporary file in the same folder, fsync,
  // rename). Default empty: none. A relative path is taken from the configuration file's folder.
  std::string textfile;
  // pushgateway_url: a Pushgateway's base URL, "http(s)://host[:port][/prefix]", no user info, query or
  // fragment; a trailing "/" is dropped. Each run pushes to <url>/metrics/job/<job>/mode/<mode>, or with
  // `instance` set to <url>/metrics/job/<job>/instance/<instance>/mode/<mode>.
  // Default empty: no push.
  std::string pushgateway_url;
  // job: the Pushgateway's job label. Default "payrecon"; 1-128 characters of A-Z a-z 0-9 - _ . ~.
  std::string job = "payrecon";
  // instance: the Pushgateway's instance label, part of the grouping key. Default empty: no instance in the key,
  // so every run of a deployment replaces one group. Set a stable name per replica (never a pod or host name that
  // changes per run); 1-128 characters of A-Z a-z 0-9 - _ . ~.
  std::string instance;
  // push_timeout: connect and answer limit of the push. Default 5s, range 100ms-60s.
  Millis push_timeout = seconds{5};
};

struct Settings {
  DatabaseSettings database;
  AmazonPaySettings amazonpay;
  std::vector<MerchantSettings> merchants;  // at least one
  WorkerSettings worker;
  ReportsSettings reports;
  MetricsSettings metrics;

  // The merchant with this id, or nullptr (a transaction of an unconfigured merchant is MERCHANT_CONFIG).
  const MerchantSettings* FindMerchant(std::string_view merchant_id) const;
};

}  // namespace payrecon::config
