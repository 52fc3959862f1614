#pragma once
// Where a run's metrics go: node_exporter's textfile collector (a file replaced atomically) and/or a Pushgateway
// (HTTP PUT, or POST after a failed run so the previous last-success time survives). Metrics never fail a run:
// problems are logged as warnings.
#include <string>
#include <string_view>

#include "config/settings.h"
#include "jobs/run_metrics.h"

namespace payrecon::jobs {

// <pushgateway_url>/metrics/job/<job>/mode/<mode>, or .../job/<job>/instance/<instance>/mode/<mode> when
// metrics.instance is set (every part is unreserved characters). The default key has no instance: each CronJob pod
// has a new host name, and a group per pod would never be replaced nor deleted.
std::string PushUrl(const config::MetricsSettings& settings, std::string_view mode);

struct PushResult {
  int http_status = 0;  // 0 when no answer arrived
  std::string error;    // empty on success (a 2xx answer)
};

// Sends `body` (text exposition format) with PUT (`replace`: the group's metrics become exactly these) or POST
// (metrics of the same names are replaced, others kept). Connect and answer each limited by `timeout`. Never throws.
PushResult PushMetrics(const std::string& url, bool replace, const std::string& body, core::Millis timeout);

// Publishes a finished run's metrics as configured (nothing when neither textfile nor pushgateway_url is set).
// A successful run replaces its mode's metrics; a failed one keeps what it does not report. Never throws.
void PublishRunMetrics(const config::MetricsSettings& settings, const RunMetricsInput& input);

}  // namespace payrecon::jobs
