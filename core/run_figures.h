#pragma once
// The per-run figures that reports/index.html charts across runs, stored as JSON in the run's row (runs.figures)
// so the index is drawn from the database, never from old report folders. Amounts are integer paise.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/transaction.h"

namespace payrecon::core {

// Pending transactions of one age bucket (all kinds), as counted at the end of the run.
struct AgeTotal {
  std::string age;          // the bucket label, e.g. "0-1m", "1m-15m", "7d+"
  std::int64_t count = 0;
  Paise amount = 0;
};

// Pending transactions of one kind and age bucket (summary.json).
struct KindAgeTotal {
  Kind kind = Kind::kCharge;
  std::string age;
  std::int64_t count = 0;
  Paise amount = 0;
};

// Open discrepancies of one code at the end of the run.
struct CodeTotal {
  DiscrepancyCode code = DiscrepancyCode::kNotFound;
  std::int64_t count = 0;
  Paise amount = 0;         // our amount of the transactions concerned
};

struct RunFigures {
  std::int64_t checked = 0;
  std::int64_t errors = 0;          // failed checks
  std::int64_t transitions = 0;
  std::int64_t discrepancies = 0;   // raised by the run
  std::int64_t gateway_calls = 0;
  // The upper bound of the bucket holding the 99th percentile of the run's gateway latency; nullopt without calls.
  std::optional<std::int64_t> latency_p99_us;
  bool latency_p99_above = false;   // the 99th percentile lies above the largest bucket bound (latency_p99_us)
  std::vector<AgeTotal> pending;    // every bucket in ascending age, zeros included
  std::vector<CodeTotal> open_discrepancies;  // codes with open discrepancies only, kAllDiscrepancyCodes order
};

// Compact JSON: {"checked":n,"errors":n,"transitions":n,"discrepancies":n,"gateway_calls":n,
// "latency_p99_us":n|null,"latency_p99_above":b,"pending":[{"age":"0-1m","count":n,"amount_paise":n},...],
// "open_discrepancies":[{"code":"NOT_FOUND","count":n,"amount_paise":n},...]}.
std::string RunFiguresToJson(const RunFigures& figures);
// Reads what RunFiguresToJson wrote; nullopt for anything else ("{}" included: a run that recorded none).
std::optional<RunFigures> RunFiguresFromJson(std::string_view json);

}  // namespace payrecon::core
