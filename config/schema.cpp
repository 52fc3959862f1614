#include "config/schema.h"

#include <stdexcept>

// Each row names only the members it sets; the rest keep their defaults (0, empty, nullptr), which is what
// designated initializers are for. GCC's -Wextra would flag every row.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace payrecon::config {
namespace {

// The README's configuration table is this table (a test compares them cell by cell); edit both together.
const Key kSchema[] = {
    {
     .path = "database.conninfo",
     .type = Type::kText,
     .default_text = "empty: libpq defaults and `PG*` only",
     .range = "no password in any form or case (`password=`, `PASSWORD = '…'`, `user:pass@`, `?PassWord=`, a "
              "`dbname` that is itself a connection string with one); no error message quotes a value",
     .meaning = "libpq connection string (`host=db dbname=payrecon user=payrecon`) or URI "
                "(`postgresql://payrecon@db/payrecon`); what it leaves out comes from libpq's `PG*` variables. "
                "Checked by libpq's own parser (`PQconninfoParse`), so `config check` accepts exactly what the "
                "job's connection does: an unknown keyword or URI parameter is a configuration error (exit 2)",
     .of_settings = [](const Settings& s) -> Value { return s.database.conninfo; },
    },
    {
     .path = "amazonpay.endpoint",
     .type = Type::kText,
     .default_value = "https://amazonpay.amazon.in",
     .range = "http(s); `http://` only with `allow_insecure_http`",
     .meaning = "base URL dialled, `https://host[:port]`, no path",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.endpoint; },
    },
    {
     .path = "amazonpay.signing_host",
     .type = Type::kText,
     .default_text = "the endpoint's host",
     .range = "a host name",
     .meaning = "host written into the signed text (a proxy or the local sandbox may differ from the URL's host)",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.signing_host; },
    },
    {
     .path = "amazonpay.allow_insecure_http",
     .type = Type::kBoolean,
     .default_value = "false",
     .range = "`true` / `false`",
     .meaning = "accept an `http://` endpoint (local sandbox only)",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.allow_insecure_http; },
    },
    {
     .path = "amazonpay.ca_file",
     .type = Type::kText,
     .default_text = "system store",
     .range = "a readable file",
     .meaning = "PEM bundle of CAs to trust instead of the system store",
     .omit_when_empty = true,
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.ca_file; },
    },
    {
     .path = "amazonpay.connect_timeout",
     .type = Type::kDuration,
     .min = 100,
     .max = 60000,
     .default_value = "5s",
     .range = "100ms–60s",
     .meaning = "TCP + TLS connect limit",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.connect_timeout; },
    },
    {
     .path = "amazonpay.read_timeout",
     .type = Type::kDuration,
     .min = 100,
     .max = 120000,
     .default_value = "10s",
     .range = "100ms–120s",
     .meaning = "limit for the answer once connected",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.read_timeout; },
    },
    {
     .path = "amazonpay.user_ip",
     .type = Type::kText,
     .default_value = "127.0.0.1",
     .range = "an IPv4 or IPv6 address",
     .meaning = "`x-amz-user-ip`",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.user_ip; },
    },
    {
     .path = "amazonpay.user_agent",
     .type = Type::kText,
     .min = 1,
     .max = 64,
     .default_value = "payrecon",
     .range = "1–64 of `A-Z a-z 0-9 - _ . ~`",
     .meaning = "`x-amz-user-agent`",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.user_agent; },
    },
    {
     .path = "amazonpay.expires",
     .type = Type::kInteger,
     .min = 300,
     .max = 900,
     .default_value = "900",
     .range = "300–900",
     .meaning = "`x-amz-expires`: seconds a signature stays valid",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.expires; },
    },
    {
     .path = "amazonpay.response_max_skew",
     .type = Type::kDuration,
     .min = 1000,
     .max = 3600000,
     .default_value = "5m",
     .range = "1s–1h",
     .meaning = "a verified answer whose `x-amz-date` is further than this from our clock, either way, is "
                "`BAD_SIGNATURE`",
     .of_settings = [](const Settings& s) -> Value { return s.amazonpay.response_max_skew; },
    },
    {
     .path = "merchants[].merchant_id",
     .type = Type::kText,
     .min = 1,
     .max = 64,
     .default_text = "required",
     .range = "1–64 of `A-Z a-z 0-9 - _ . ~`, unique",
     .meaning = "the merchant id (MID)",
     .of_merchant = [](const MerchantSettings& m) -> Value { return m.merchant_id; },
    },
    {
     .path = "merchants[].access_key_id",
     .type = Type::kText,
     .min = 1,
     .max = 128,
     .default_text = "required",
     .range = "1–128 of `A-Z a-z 0-9 - _ . ~`",
     .meaning = "the merchant's access key id",
     .of_merchant = [](const MerchantSettings& m) -> Value { return m.access_key_id; },
    },
    {
     .path = "merchants[].secret_key_env",
     .type = Type::kText,
     .default_text = "—",
     .range = "exactly one of `secret_key_env`, `secret_key_file`",
     .meaning = "name of the environment variable holding the secret key",
     .omit_when_empty = true,
     .of_merchant = [](const MerchantSettings& m) -> Value { return m.secret_key_env; },
    },
    {
     .path = "merchants[].secret_key_file",
     .type = Type::kText,
     .default_text = "—",
     .range = "a readable file of one non-empty line",
     .meaning = "file holding the secret key (a mounted secret); one trailing newline is trimmed",
     .omit_when_empty = true,
     .of_merchant = [](const MerchantSettings& m) -> Value { return m.secret_key_file; },
    },
    {
     .path = "worker.batch_size",
     .type = Type::kInteger,
     .min = 1,
     .max = 10000,
     .default_value = "250",
     .range = "1–10000",
     .meaning = "rows per claim and per applied batch",
     .of_settings = [](const Settings& s) -> Value { return s.worker.batch_size; },
    },
    {
     .path = "worker.in_flight",
     .type = Type::kInteger,
     .min = 1,
     .max = 1024,
     .default_value = "16",
     .range = "1–1024",
     .meaning = "Get Status requests in flight",
     .of_settings = [](const Settings& s) -> Value { return s.worker.in_flight; },
    },
    {
     .path = "worker.io_threads",
     .type = Type::kInteger,
     .min = 0,
     .max = 64,
     .default_value = "2",
     .range = "0–64",
     .meaning = "threads that share the requests in flight over non-blocking connections; `0` = one blocking thread "
                "per request",
     .of_settings = [](const Settings& s) -> Value { return s.worker.io_threads; },
    },
    {
     .path = "worker.max_rps",
     .type = Type::kInteger,
     .min = 0,
     .max = 100000,
     .default_value = "0",
     .range = "0–100000",
     .meaning = "requests per second for the whole process; `0` = unlimited",
     .of_settings = [](const Settings& s) -> Value { return s.worker.max_rps; },
    },
    {
     .path = "worker.lease",
     .type = Type::kDuration,
     .min = 10000,
     .max = 3600000,
     .default_value = "5m",
     .range = "10s–1h, longer than `connect_timeout + read_timeout`",
     .meaning = "how long a claim holds (a crashed run's claims are picked up after it)",
     .of_settings = [](const Settings& s) -> Value { return s.worker.lease; },
    },
    {
     .path = "worker.pending_ladder",
     .type = Type::kDurationList,
     .min = 1000,
     .max = 86400000,
     .count_min = 1,
     .count_max = 64,
     .default_value = "[15s, 25s, 30s, 35s, 40s, 45s, 50s, 55s]",
     .range = "1–64 steps of 1s–1d",
     .meaning = "waits between checks of a still-pending transaction",
     .of_settings = [](const Settings& s) -> Value { return s.worker.pending_ladder; },
    },
    {
     .path = "worker.pending_after_ladder",
     .type = Type::kDuration,
     .min = 1000,
     .max = 86400000,
     .default_value = "5m",
     .range = "1s–1d",
     .meaning = "the wait once the ladder is used up",
     .of_settings = [](const Settings& s) -> Value { return s.worker.pending_after_ladder; },
    },
    {
     .path = "worker.error_backoff_base",
     .type = Type::kDuration,
     .min = 1000,
     .max = 3600000,
     .default_value = "30s",
     .range = "1s–1h",
     .meaning = "first wait after a failed check, doubled per failure, with jitter",
     .of_settings = [](const Settings& s) -> Value { return s.worker.error_backoff_base; },
    },
    {
     .path = "worker.error_backoff_max",
     .type = Type::kDuration,
     .min = 1000,
     .max = 86400000,
     .default_value = "30m",
     .range = "1s–1d, at least `error_backoff_base`",
     .meaning = "longest back-off wait",
     .of_settings = [](const Settings& s) -> Value { return s.worker.error_backoff_max; },
    },
    {
     .path = "worker.error_limit",
     .type = Type::kInteger,
     .min = 1,
     .max = 1000,
     .default_value = "5",
     .range = "1–1000",
     .meaning = "consecutive failed checks before `CHECK_FAILING`",
     .of_settings = [](const Settings& s) -> Value { return s.worker.error_limit; },
    },
    {
     .path = "worker.failing_recheck",
     .type = Type::kDuration,
     .min = 60000,
     .max = 604800000,
     .default_value = "1h",
     .range = "1m–7d",
     .meaning = "re-check interval once `CHECK_FAILING`",
     .of_settings = [](const Settings& s) -> Value { return s.worker.failing_recheck; },
    },
    {
     .path = "worker.not_found_grace",
     .type = Type::kDuration,
     .min = 0,
     .max = 604800000,
     .default_value = "30m",
     .range = "0s–7d",
     .meaning = "`NOT_FOUND` answers are retried while the transaction is younger than this",
     .of_settings = [](const Settings& s) -> Value { return s.worker.not_found_grace; },
    },
    {
     .path = "worker.charge_stuck_after",
     .type = Type::kDuration,
     .min = 60000,
     .max = 2592000000,
     .default_value = "30m",
     .range = "1m–30d",
     .meaning = "a charge or top-up pending this long after `created_at` is `STUCK_PENDING` (900 s charge "
                "timeout + 15 min)",
     .of_settings = [](const Settings& s) -> Value { return s.worker.charge_stuck_after; },
    },
    {
     .path = "worker.refund_stuck_after",
     .type = Type::kDuration,
     .min = 60000,
     .max = 2592000000,
     .default_value = "48h",
     .range = "1m–30d",
     .meaning = "the same for refunds",
     .of_settings = [](const Settings& s) -> Value { return s.worker.refund_stuck_after; },
    },
    {
     .path = "worker.auth_failures_to_stop",
     .type = Type::kInteger,
     .min = 1,
     .max = 100,
     .default_value = "3",
     .range = "1–100",
     .meaning = "consecutive 401/403 answers for one merchant after which its credentials count as refused for "
                "the run (exit 4)",
     .of_settings = [](const Settings& s) -> Value { return s.worker.auth_failures_to_stop; },
    },
    {
     .path = "worker.deadline",
     .type = Type::kDuration,
     .min = 1000,
     .max = 604800000,
     .default_value = "10m",
     .range = "1s–7d",
     .meaning = "how long `run` / `backfill` may take when `--deadline` is not given",
     .of_settings = [](const Settings& s) -> Value { return s.worker.deadline; },
    },
    {
     .path = "worker.progress_interval",
     .type = Type::kDuration,
     .min = 1000,
     .max = 3600000,
     .default_value = "10s",
     .range = "1s–1h",
     .meaning = "how often `run` / `backfill` log a progress line",
     .of_settings = [](const Settings& s) -> Value { return s.worker.progress_interval; },
    },
    {
     .path = "worker.retry_after_max",
     .type = Type::kDuration,
     .min = 0,
     .max = 3600000,
     .default_value = "1m",
     .range = "0s–1h",
     .meaning = "the longest a gateway's `Retry-After` holds every worker back (see \"Throttling\"); the run's "
                "deadline caps it too",
     .of_settings = [](const Settings& s) -> Value { return s.worker.retry_after_max; },
    },
    {
     .path = "worker.stuck_repeat",
     .type = Type::kDuration,
     .min = 60000,
     .max = 2592000000,
     .default_value = "24h",
     .range = "1m–30d",
     .meaning = "a resolved `STUCK_PENDING` is raised again when the transaction is still pending this long "
                "after the resolution",
     .of_settings = [](const Settings& s) -> Value { return s.worker.stuck_repeat; },
    },
    {
     .path = "reports.dir",
     .type = Type::kText,
     .default_value = "reports",
     .range = "non-empty",
     .meaning = "folder under which each run writes `<UTC time>-<run_id>/`",
     .of_settings = [](const Settings& s) -> Value { return s.reports.dir; },
    },
    {
     .path = "reports.pending_limit",
     .type = Type::kInteger,
     .min = 0,
     .max = 10000000,
     .default_value = "50000",
     .range = "0–10000000",
     .meaning = "most rows in pending.csv, the oldest (summary.json and summary.html still count every pending "
                "transaction; `payrecon pending` lists them all)",
     .of_settings = [](const Settings& s) -> Value { return s.reports.pending_limit; },
    },
    {
     .path = "reports.compress",
     .type = Type::kText,
     .default_value = "gzip",
     .range = "`gzip` or `none`",
     .meaning = "`gzip` writes each run's four CSV files compressed, as `transitions.csv.gz` and so on (about a "
                "tenth of the bytes); `none` writes them plain (see \"Reports\")",
     .of_settings = [](const Settings& s) -> Value {
       return std::string(core::ReportCompressionName(s.reports.compress));
     },
    },
    {
     .path = "reports.keep",
     .type = Type::kDuration,
     .min = 3600000,
     .max = 315360000000,
     .zero_means = "keep every run folder",
     .default_value = "30d",
     .range = "`0s` (never) or 1h–3650d",
     .meaning = "run folders (and stale hidden `.tmp` folders) older than this are removed when a run ends (see "
                "\"Reports\")",
     .of_settings = [](const Settings& s) -> Value { return s.reports.keep; },
    },
    {
     .path = "reports.display_timezone",
     .type = Type::kText,
     .default_value = "UTC",
     .range = "a name in the tz database (`/usr/share/zoneinfo` or `$TZDIR`)",
     .meaning = "IANA time zone of the times in summary.html, index.html and `show` (CSV, JSON, logs: UTC)",
     .of_settings = [](const Settings& s) -> Value { return s.reports.display_timezone; },
    },
    {
     .path = "reports.index_runs",
     .type = Type::kInteger,
     .min = 1,
     .max = 5000,
     .default_value = "200",
     .range = "1–5000",
     .meaning = "runs listed and charted in `reports/index.html`",
     .of_settings = [](const Settings& s) -> Value { return s.reports.index_runs; },
    },
    {
     .path = "metrics.textfile",
     .type = Type::kText,
     .default_text = "none",
     .range = "a file path",
     .meaning = "file the run's Prometheus metrics are written to (node_exporter textfile collector: a `*.prom` "
                "file in its folder), replaced atomically",
     .omit_when_empty = true,
     .of_settings = [](const Settings& s) -> Value { return s.metrics.textfile; },
    },
    {
     .path = "metrics.pushgateway_url",
     .type = Type::kText,
     .default_text = "none",
     .range = "`http(s)://host[:port][/prefix]`, no user info, query or fragment",
     .meaning = "Pushgateway base URL; each run pushes to `<url>/metrics/job/<job>/mode/<mode>` (with "
                "`instance`: `<url>/metrics/job/<job>/instance/<instance>/mode/<mode>`)",
     .omit_when_empty = true,
     .of_settings = [](const Settings& s) -> Value { return s.metrics.pushgateway_url; },
    },
    {
     .path = "metrics.job",
     .type = Type::kText,
     .min = 1,
     .max = 128,
     .default_value = "payrecon",
     .range = "1–128 of `A-Z a-z 0-9 - _ . ~`",
     .meaning = "the Pushgateway's `job` label",
     .of_settings = [](const Settings& s) -> Value { return s.metrics.job; },
    },
    {
     .path = "metrics.instance",
     .type = Type::kText,
     .min = 1,
     .max = 128,
     .default_text = "none: not in the key",
     .range = "1–128 of `A-Z a-z 0-9 - _ . ~`",
     .meaning = "the Pushgateway's `instance` label, part of the grouping key; set only to tell replicas apart, "
                "with a stable name (never a pod or host name)",
     .omit_when_empty = true,
     .of_settings = [](const Settings& s) -> Value { return s.metrics.instance; },
    },
    {
     .path = "metrics.push_timeout",
     .type = Type::kDuration,
     .min = 100,
     .max = 60000,
     .default_value = "5s",
     .range = "100ms–60s",
     .meaning = "connect and answer limit of the push",
     .of_settings = [](const Settings& s) -> Value { return s.metrics.push_timeout; },
    },
};

}  // namespace

std::span<const Key> Schema() { return kSchema; }

const Key& KeyAt(std::string_view path) {
  for (const Key& key : kSchema) {
    if (key.path == path) return key;
  }
  throw std::out_of_range("no configuration key " + std::string(path));
}

std::vector<std::string_view> KeysOf(std::string_view section) {
  std::vector<std::string_view> names;
  for (const Key& key : kSchema) {
    const std::string_view name = section.empty() ? key.Section() : key.Name();
    if (!section.empty() && key.Section() != section) continue;
    std::string_view shown = name;
    if (section.empty() && shown.ends_with("[]")) shown.remove_suffix(2);
    if (names.empty() || names.back() != shown) names.push_back(shown);
  }
  return names;
}

}  // namespace payrecon::config
