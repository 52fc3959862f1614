#include "sandbox/options.h"

#include <charconv>
#include <limits>

#include "core/status.h"

namespace payrecon::sandbox {

const char* const kUsage = R"(usage: payrecon-sandbox --merchants FILE [options]
  --merchants FILE          YAML list of merchant_id, access_key_id, secret (required)
  --scenario FILE           CSV of transactions to load at start-up (README "payrecon-sandbox")
  --port N                  port to listen on; 0 (default) picks a free one; the port is stdout's first line
  --bind ADDR               address to bind (default 127.0.0.1)
  --tls-cert FILE           PEM certificate; with --tls-key serves HTTPS
  --tls-key FILE            PEM private key
  --max-connections N       connections served at once; more wait to be accepted (default 256)
  --io-threads N            event-loop threads serving them (default 2)
  --seed N                  seed of every random choice (default 1)
  --signing-host HOST       host in canonical texts (default: the request's Host header without port)
  --clock-skew-s N          allowed x-amz-date skew in seconds (default 300)
  --max-expires-s N         largest x-amz-expires accepted (default 3600)
  --faults JSON             global faults, as POST /sandbox/faults takes them
  --charge-status S         POSTed charges start CapturePending (default) or CaptureApproved
  --charge-settle-to S      and settle to CaptureApproved (default) or Failed
  --refund-status S         POSTed refunds start Pending (default), Approved or Declined
  --refund-settle-to S      and settle to Approved (default) or Declined
  --settle-ms N             sandbox ms from creation to settling for POSTed transactions (default 5000)
  --refund-amounts-as-strings  refund amount and refundedFee as "0.01" instead of the JSON number 0.01
)";

namespace {

std::int64_t Int(const std::string& flag, const std::string& text, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < lo || v > hi) {
    throw UsageError("flag '" + flag + "': \"" + text + "\" must be an integer from " + std::to_string(lo) + " to " +
                     std::to_string(hi));
  }
  return v;
}

core::Status StatusFlag(const std::string& flag, const std::string& text, core::Kind kind, bool final_only) {
  const auto s = core::StatusFromName(text);
  if (!s || !core::StatusBelongsTo(kind, *s) || (final_only && !core::IsFinal(*s))) {
    throw UsageError("flag '" + flag + "': \"" + text + "\" is not allowed here");
  }
  return *s;
}

}  // namespace

CommandLine ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      cl.help = true;
      continue;
    }
    if (flag == "--refund-amounts-as-strings") {
      cl.sandbox.refund_amounts_as_strings = true;
      continue;
    }
    if (i + 1 >= args.size()) throw UsageError("flag '" + flag + "' needs a value (or is unknown)");
    const std::string& v = args[++i];
    if (flag == "--merchants") {
      cl.merchants_file = v;
    } else if (flag == "--scenario") {
      cl.scenario_file = v;
    } else if (flag == "--port") {
      cl.server.port = static_cast<std::uint16_t>(Int(flag, v, 0, 65535));
    } else if (flag == "--bind") {
      cl.server.bind = v;
    } else if (flag == "--tls-cert") {
      cl.server.tls_cert = v;
    } else if (flag == "--tls-key") {
      cl.server.tls_key = v;
    } else if (flag == "--max-connections" || flag == "--max-threads") {  // --max-threads: its name before 2026-12
      cl.server.max_connections = static_cast<int>(Int(flag, v, 1, 65536));
    } else if (flag == "--io-threads") {
      cl.server.io_threads = static_cast<int>(Int(flag, v, 1, 64));
    } else if (flag == "--seed") {
      cl.sandbox.seed = static_cast<std::uint64_t>(Int(flag, v, 0, std::numeric_limits<std::int64_t>::max()));
    } else if (flag == "--signing-host") {
      cl.sandbox.signing_host = v;
    } else if (flag == "--clock-skew-s") {
      cl.sandbox.clock_skew_s = Int(flag, v, 0, 86400);
    } else if (flag == "--max-expires-s") {
      cl.sandbox.max_expires_s = Int(flag, v, 1, 604800);
    } else if (flag == "--faults") {
      auto parsed = ParseGlobalFaults(v);
      if (!parsed) throw UsageError("flag '--faults': " + parsed.error());
      cl.faults = std::move(parsed).value();
    } else if (flag == "--charge-status") {
      cl.sandbox.lifecycle.charge_status = StatusFlag(flag, v, core::Kind::kCharge, false);
    } else if (flag == "--charge-settle-to") {
      cl.sandbox.lifecycle.charge_settle_to = StatusFlag(flag, v, core::Kind::kCharge, true);
    } else if (flag == "--refund-status") {
      cl.sandbox.lifecycle.refund_status = StatusFlag(flag, v, core::Kind::kRefund, false);
    } else if (flag == "--refund-settle-to") {
      cl.sandbox.lifecycle.refund_settle_to = StatusFlag(flag, v, core::Kind::kRefund, true);
    } else if (flag == "--settle-ms") {
      cl.sandbox.lifecycle.settle_ms = Int(flag, v, 0, std::numeric_limits<std::int64_t>::max() / 4);
    } else {
      throw UsageError("unknown flag '" + flag + "'");
    }
  }
  if (!cl.help && cl.merchants_file.empty()) throw UsageError("flag '--merchants' is required");
  return cl;
}

}  // namespace payrecon::sandbox
