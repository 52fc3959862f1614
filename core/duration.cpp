#include "core/duration.h"

#include <cassert>
#include <cstdint>

namespace payrecon::core {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t millis;
};
// Largest first, so FormatDuration picks the largest exact unit.
constexpr Unit kUnits[] = {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}};
constexpr std::int64_t kMaxMillis = 100LL * 366 * 86'400'000;

}  // namespace

Expected<Millis> ParseDuration(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return Error{"invalid duration \"" + std::string(text.substr(0, 40)) + (text.size() > 40 ? "..." : "") +
                 "\": " + std::string(why)};
  };
  if (text.empty()) return Error{"duration is empty"};
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return fail("expected digits then a unit, e.g. 15s, 5m, 48h or 250ms");
  const std::string_view unit_text = text.substr(digits);
  if (unit_text.empty()) return fail("missing unit (use ms, s, m, h or d)");
  const Unit* unit = nullptr;
  for (const Unit& u : kUnits) {
    if (u.name == unit_text) unit = &u;
  }
  if (unit == nullptr) {
    for (char c : unit_text) {
      if ((c >= '0' && c <= '9') || c == '.') return fail("one whole number and one unit only, e.g. 90m");
    }
    return fail("unknown unit (use ms, s, m, h or d)");
  }
  std::int64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > kMaxMillis) return fail("longer than 100 years");
  }
  if (value > kMaxMillis / unit->millis) return fail("longer than 100 years");
  return Millis{value * unit->millis};
}

std::string FormatDuration(Millis duration) {
  const std::int64_t ms = duration.count();
  assert(ms >= 0);
  if (ms == 0) return "0s";
  for (const Unit& u : kUnits) {
    if (ms % u.millis == 0) return std::to_string(ms / u.millis) + std::string(u.name);
  }
  return std::to_string(ms) + "ms";  // unreachable: every value divides by 1 ms
}

}  // namespace payrecon::core
