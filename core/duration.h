#pragma once
// Durations as operators write them in configuration and on the command line: "250ms", "15s", "5m", "48h", "2d".
// One integer and one unit, nothing else; no floating point, no compound forms.
#include <string>
#include <string_view>

#include "core/expected.h"
#include "core/time.h"

namespace payrecon::core {

// Parses "<digits><unit>" with unit ms, s, m, h or d: "0s", "250ms", "15s", "5m", "48h", "7d".
// Rejects empty text, signs, spaces, decimals, a missing or unknown unit, compound forms ("1h30m") and values
// beyond 100 years. The error quotes the input and says why, e.g.
// `invalid duration "15": missing unit (use ms, s, m, h or d)`.
Expected<Millis> ParseDuration(std::string_view text);

// The shortest exact text in the largest unit that divides the value: 900000 ms -> "15m", 250 ms -> "250ms",
// 0 -> "0s", 172800000 ms -> "2d". Requires a non-negative value. ParseDuration(FormatDuration(d)) == d.
std::string FormatDuration(Millis duration);

}  // namespace payrecon::core
