// bench_job_scenario: writes a matching pair of files for the demo and the benchmarks:
//   DIR/scenario.csv      the gateway's truth, for payrecon-sandbox --scenario
//   DIR/transactions.csv  our side, for `payrecon import`
// --mix demo: every outcome of issue 4 (transitions both ways, refunds, top-ups, amount and currency mismatch, not
//   found young and old, failing checks, bad and missing signatures, stuck, unknown status, an unconfigured
//   merchant, final rows that conflict in a backfill, malformed and truncated answers, resets, timeouts, 429s).
// --mix bench: plain charges, all due: half approved, a quarter failed, a quarter still pending at the gateway.
// --mix soak: see Soak(). --first N numbers the rows from N (a later batch of the same run of files).
// Deterministic: the same arguments give the same files (created_at is relative to --now, default the clock).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/time.h"

namespace {

using payrecon::core::FormatIso8601;
using payrecon::core::Instant;
using payrecon::core::Millis;

struct Row {
  std::string merchant = "MID1";
  std::string kind = "charge";
  std::string id;
  std::string parent;
  std::string amount = "100.00";
  std::string ours = "CapturePending";      // our status
  std::string theirs = "CapturePending";    // the sandbox's starting status
  std::string currency = "INR";
  std::string gateway_currency;              // default: currency
  std::string settle_after_ms;
  std::string settle_to;
  std::string approved_amount;
  std::string fault;
  bool at_gateway = true;
  Millis age{600'000};                       // created this long before --now
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "bench_job_scenario: " << why << "\n"
            << "usage: bench_job_scenario --count N --out DIR [--mix demo|bench|soak] [--now ISO8601] [--first N]\n"
            << "       [--settle-span-ms MS]   (soak: settle times spread over [0, MS), default 9000000)\n";
  std::exit(2);
}

std::string Id(const char* prefix, long i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%07ld", prefix, i);
  return buf;
}

Row Demo(long i) {
  Row r;
  const long b = i % 100;
  const long block = i - b;
  r.id = Id("ch", i);
  auto settle = [&](const char* to) {
    r.settle_after_ms = "0";
    r.settle_to = to;
  };
  auto still_pending = [&] {
    r.settle_after_ms = "3600000";
    r.settle_to = "CaptureApproved";
  };
  if (b < 40 || b >= 96) {
    settle("CaptureApproved");
  } else if (b < 50) {
    settle("Failed");
  } else if (b < 60) {
    still_pending();
  } else if (b < 70) {  // refunds of this block's approved charges 0..9
    r.kind = "refund";
    r.id = Id("rf", i);
    r.parent = Id("ch", block + (b - 60));
    r.amount = "10.00";
    r.ours = r.theirs = "Pending";
    if (b < 65) {
      settle("Approved");
    } else if (b < 68) {
      settle("Declined");
    } else {
      r.settle_after_ms = "3600000";
      r.settle_to = "Approved";
    }
  } else if (b < 75) {
    r.kind = "topup";
    r.id = Id("tu", i);
    settle("CaptureApproved");
  } else if (b < 77) {
    settle("CaptureApproved");
    r.approved_amount = "99.00";  // AMOUNT_MISMATCH
  } else if (b == 77) {
    settle("CaptureApproved");
    r.gateway_currency = "USD";  // CURRENCY_MISMATCH
  } else if (b == 78) {
    r.at_gateway = false;  // young: NOT_FOUND is retried within the grace period
    r.age = Millis{60'000};
  } else if (b == 79) {
    r.at_gateway = false;  // old: NOT_FOUND (and STUCK_PENDING)
    r.age = Millis{3 * 3'600'000};
  } else if (b < 82) {
    r.fault = "http500";
  } else if (b == 82) {
    r.fault = "wrong_signature";
  } else if (b == 83) {
    r.fault = "missing_signature";
  } else if (b < 86) {
    still_pending();  // STUCK_PENDING
    r.age = Millis{3 * 3'600'000};
  } else if (b == 86) {
    r.fault = "unknown_status";
  } else if (b == 87) {
    r.merchant = "MID3";  // known to the sandbox, not configured in payrecon: MERCHANT_CONFIG
    settle("CaptureApproved");
  } else if (b < 90) {
    r.ours = "CaptureApproved";  // final here, Failed at the gateway: STATUS_CONFLICT in a backfill
    r.theirs = "Failed";
  } else if (b < 92) {
    r.ours = r.theirs = "Failed";  // final and agreeing: a backfill only verifies
  } else if (b == 92) {
    r.fault = "malformed_json";
  } else if (b == 93) {
    r.fault = "truncated_body";
  } else if (b == 94) {
    r.fault = "reset";
  } else {  // 95: a few timeouts and rate limits, the rest plain approvals
    settle("CaptureApproved");
    if (i < 1000) r.fault = "hang:3000";
    else if (i < 1300) r.fault = "http429:1";
  }
  return r;
}

Row Bench(long i) {
  Row r;
  r.id = Id("bc", i);
  const long q = i % 4;
  r.settle_after_ms = q == 3 ? "3600000" : "0";
  r.settle_to = q == 2 ? "Failed" : "CaptureApproved";
  return r;
}

// --mix soak: charges pending at the gateway that settle at sandbox times spread evenly but shuffled over
// [0, span): as bench/soak.sh advances the sandbox clock, a few settle before each run; three in four approve.
Row Soak(long i, long span_ms) {
  Row r;
  r.id = Id("sk", i);
  r.settle_after_ms = std::to_string((i * 7919L) % span_ms);
  r.settle_to = i % 4 == 3 ? "Failed" : "CaptureApproved";
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  long count = -1;
  long first = 0;
  long span_ms = 9'000'000;
  std::string out, mix = "demo";
  Instant now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) Usage("option '" + a + "' needs a value");
    const std::string v = argv[++i];
    if (a == "--count") {
      char* end = nullptr;
      count = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || count < 1 || count > 10'000'000) Usage("--count must be 1 to 10000000");
    } else if (a == "--out") {
      out = v;
    } else if (a == "--first" || a == "--settle-span-ms") {
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || n < (a == "--first" ? 0 : 1) || n > 1'000'000'000) Usage(a + " must be a number");
      (a == "--first" ? first : span_ms) = n;
    } else if (a == "--mix") {
      if (v != "demo" && v != "bench" && v != "soak") Usage("--mix must be demo, bench or soak");
      mix = v;
    } else if (a == "--now") {
      auto t = payrecon::core::ParseIso8601(v);
      if (!t) Usage("--now: " + t.error());
      now = *t;
    } else {
      Usage("unknown option '" + a + "'");
    }
  }
  if (count < 0 || out.empty()) Usage("--count and --out are required");

  std::ofstream scenario(out + "/scenario.csv"), ours(out + "/transactions.csv");
  if (!scenario || !ours) Usage("cannot write into \"" + out + "\"");
  scenario << "merchant_id,kind,merchant_txn_id,amazon_txn_id,parent_txn_id,amount,currency,status,settle_after_ms,"
              "settle_to,approved_amount,fault\n";
  ours << "kind,merchant_id,merchant_txn_id,amazon_txn_id,parent_merchant_txn_id,amount,currency,status,created_at\n";
  for (long i = first; i < first + count; ++i) {
    const Row r = mix == "demo" ? Demo(i) : mix == "soak" ? Soak(i, span_ms) : Bench(i);
    if (r.at_gateway) {
      scenario << r.merchant << ',' << r.kind << ',' << r.id << ",," << r.parent << ',' << r.amount << ','
               << (r.gateway_currency.empty() ? r.currency : r.gateway_currency) << ',' << r.theirs << ','
               << r.settle_after_ms << ',' << r.settle_to << ',' << r.approved_amount << ',' << r.fault << '\n';
    }
    ours << r.kind << ',' << r.merchant << ',' << r.id << ",," << r.parent << ',' << r.amount << ',' << r.currency
         << ',' << r.ours << ',' << FormatIso8601(now - r.age) << '\n';
  }
  scenario.close();
  ours.close();
  if (!scenario || !ours) Usage("cannot write into \"" + out + "\"");
  std::cout << count << " transactions written to " << out << "/scenario.csv and " << out << "/transactions.csv\n";
  return 0;
}
