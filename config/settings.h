#pragma once
// The configuration's values: plain structs with their defaults. Each key's type, range, default and meaning are
// stated once, in config/schema.cpp (which the README's table and config/payrecon.example.yaml mirror, checked by
// config_tests); config::Load fills these structs from YAML and the environment and checks every range there.
// Nothing is clamped.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/decision.h"
#include "core/report_rows.h"
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
  std::string conninfo;
};

// `amazonpay`
struct AmazonPaySettings {
  std::string endpoint = "https://amazonpay.amazon.in";
  // Derived from endpoint by Load: "https" or "http", the host, and the port (explicit, or 443 / 80).
  std::string endpoint_scheme = "https";
  std::string endpoint_host = "amazonpay.amazon.in";
  int endpoint_port = 443;
  std::string signing_host = "amazonpay.amazon.in";
  bool allow_insecure_http = false;
  std::string ca_file;
  Millis connect_timeout = seconds{5};
  Millis read_timeout = seconds{10};
  std::string user_ip = "127.0.0.1";
  std::string user_agent = "payrecon";
  int expires = 900;
  Millis response_max_skew = minutes{5};
};

// One entry of `merchants`: one Amazon Pay merchant account served by this deployment.
struct MerchantSettings {
  std::string merchant_id;
  std::string access_key_id;
  // The secret key, from exactly one of the two keys below. Never in the configuration text itself.
  core::Secret secret_key;
  std::string secret_key_env;
  std::string secret_key_file;
};

// `worker`: throughput and the reconciliation policy (core::Policy).
struct WorkerSettings {
  int batch_size = 250;
  int in_flight = 16;
  int io_threads = 2;  // 0: the blocking client, one thread per request in flight
  int max_rps = 0;
  Millis lease = minutes{5};
  std::vector<Millis> pending_ladder = core::Policy{}.pending_ladder;
  Millis pending_after_ladder = core::Policy{}.pending_after_ladder;
  Millis error_backoff_base = core::Policy{}.error_backoff_base;
  Millis error_backoff_max = core::Policy{}.error_backoff_max;
  int error_limit = core::Policy{}.error_limit;
  Millis failing_recheck = core::Policy{}.failing_recheck;
  Millis not_found_grace = core::Policy{}.not_found_grace;
  Millis charge_stuck_after = core::Policy{}.charge_stuck_after;
  Millis refund_stuck_after = core::Policy{}.refund_stuck_after;
  int auth_failures_to_stop = 3;
  Millis deadline = minutes{10};
  Millis progress_interval = seconds{10};
  Millis retry_after_max = minutes{1};
  Millis stuck_repeat = hours{24};

  // The policy knobs as core's decision logic takes them.
  core::Policy ToPolicy() const;
};

// `reports`
struct ReportsSettings {
  std::string dir = "reports";
  std::string display_timezone = "UTC";
  core::TimeZone display_zone = core::TimeZone::Utc();  // set by Load from display_timezone
  int index_runs = 200;
  int pending_limit = 50000;
  Millis keep = hours{24 * 30};
  core::ReportCompression compress = core::ReportCompression::kGzip;
};

// `metrics`: what `run` and `backfill` leave for Prometheus at their end (dry runs leave nothing).
struct MetricsSettings {
  std::string textfile;
  std::string pushgateway_url;
  std::string job = "payrecon";
  std::string instance;
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
