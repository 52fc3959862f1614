#include "config/render.h"

#include <yaml-cpp/yaml.h>

#include "core/duration.h"

namespace payrecon::config {
namespace {

std::string D(core::Millis d) { return core::FormatDuration(d); }

}  // namespace

std::string Render(const Settings& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;

  out << YAML::Key << "database" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "conninfo" << YAML::Value << s.database.conninfo;
  out << YAML::EndMap;

  const AmazonPaySettings& a = s.amazonpay;
  out << YAML::Key << "amazonpay" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "endpoint" << YAML::Value << a.endpoint;
  out << YAML::Key << "signing_host" << YAML::Value << a.signing_host;
  out << YAML::Key << "allow_insecure_http" << YAML::Value << a.allow_insecure_http;
  if (!a.ca_file.empty()) out << YAML::Key << "ca_file" << YAML::Value << a.ca_file;
  out << YAML::Key << "connect_timeout" << YAML::Value << D(a.connect_timeout);
  out << YAML::Key << "read_timeout" << YAML::Value << D(a.read_timeout);
  out << YAML::Key << "user_ip" << YAML::Value << a.user_ip;
  out << YAML::Key << "user_agent" << YAML::Value << a.user_agent;
  out << YAML::Key << "expires" << YAML::Value << a.expires;
  out << YAML::Key << "response_max_skew" << YAML::Value << D(a.response_max_skew);
  out << YAML::EndMap;

  out << YAML::Key << "merchants" << YAML::Value << YAML::BeginSeq;
  for (const MerchantSettings& m : s.merchants) {
    out << YAML::BeginMap;
    out << YAML::Key << "merchant_id" << YAML::Value << m.merchant_id;
    out << YAML::Key << "access_key_id" << YAML::Value << m.access_key_id;
    if (!m.secret_key_env.empty()) out << YAML::Key << "secret_key_env" << YAML::Value << m.secret_key_env;
    if (!m.secret_key_file.empty()) out << YAML::Key << "secret_key_file" << YAML::Value << m.secret_key_file;
    // Only ever the mask: says the secret was found without showing it.
    out << YAML::Key << "secret_key" << YAML::Value << (m.secret_key.empty() ? "" : core::Secret::Masked());
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  const WorkerSettings& w = s.worker;
  out << YAML::Key << "worker" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "batch_size" << YAML::Value << w.batch_size;
  out << YAML::Key << "in_flight" << YAML::Value << w.in_flight;
  out << YAML::Key << "max_rps" << YAML::Value << w.max_rps;
  out << YAML::Key << "lease" << YAML::Value << D(w.lease);
  out << YAML::Key << "pending_ladder" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (core::Millis step : w.pending_ladder) out << D(step);
  out << YAML::EndSeq;
  out << YAML::Key << "pending_after_ladder" << YAML::Value << D(w.pending_after_ladder);
  out << YAML::Key << "error_backoff_base" << YAML::Value << D(w.error_backoff_base);
  out << YAML::Key << "error_backoff_max" << YAML::Value << D(w.error_backoff_max);
  out << YAML::Key << "error_limit" << YAML::Value << w.error_limit;
  out << YAML::Key << "failing_recheck" << YAML::Value << D(w.failing_recheck);
  out << YAML::Key << "not_found_grace" << YAML::Value << D(w.not_found_grace);
  out << YAML::Key << "charge_stuck_after" << YAML::Value << D(w.charge_stuck_after);
  out << YAML::Key << "refund_stuck_after" << YAML::Value << D(w.refund_stuck_after);
  out << YAML::Key << "auth_failures_to_stop" << YAML::Value << w.auth_failures_to_stop;
  out << YAML::Key << "deadline" << YAML::Value << D(w.deadline);
  out << YAML::Key << "progress_interval" << YAML::Value << D(w.progress_interval);
  out << YAML::Key << "retry_after_max" << YAML::Value << D(w.retry_after_max);
  out << YAML::Key << "stuck_repeat" << YAML::Value << D(w.stuck_repeat);
  out << YAML::EndMap;

  out << YAML::Key << "reports" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "dir" << YAML::Value << s.reports.dir;
  out << YAML::Key << "pending_limit" << YAML::Value << s.reports.pending_limit;
  out << YAML::Key << "keep" << YAML::Value << D(s.reports.keep);
  out << YAML::Key << "display_timezone" << YAML::Value << s.reports.display_timezone;
  out << YAML::Key << "index_runs" << YAML::Value << s.reports.index_runs;
  out << YAML::EndMap;

  const MetricsSettings& m = s.metrics;
  out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
  if (!m.textfile.empty()) out << YAML::Key << "textfile" << YAML::Value << m.textfile;
  if (!m.pushgateway_url.empty()) out << YAML::Key << "pushgateway_url" << YAML::Value << m.pushgateway_url;
  out << YAML::Key << "job" << YAML::Value << m.job;
  if (!m.instance.empty()) out << YAML::Key << "instance" << YAML::Value << m.instance;
  out << YAML::Key << "push_timeout" << YAML::Value << D(m.push_timeout);
  out << YAML::EndMap;

  out << YAML::EndMap;
  std::string text = out.c_str();
  text += '\n';
  return text;
}

}  // namespace payrecon::config
