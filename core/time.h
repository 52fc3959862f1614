#pragma once
// Instants are UTC milliseconds since the Unix epoch. Parsing and formatting only; reading the clock happens
// outside core and is passed in.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.h"

namespace payrecon::core {

using Millis = std::chrono::milliseconds;
using Instant = std::chrono::sys_time<Millis>;

// ISO 8601 extended form with a zone: "2020-12-14T16:45:49.862Z", "2026-01-02T03:04:05+05:30",
// "2026-01-02 03:04:05Z"; fractions of up to nine digits are truncated to milliseconds.
Expected<Instant> ParseIso8601(std::string_view text);
// "2020-12-14T16:45:49.862Z" (always milliseconds, always Z).
std::string FormatIso8601Millis(Instant t);
// "2020-12-14T16:45:49Z" (seconds precision, Z): the report format.
std::string FormatIso8601(Instant t);
// x-amz-date's basic form "20200906T055702Z"; ParseAmzDate rejects anything else.
std::string FormatAmzDate(Instant t);
Expected<Instant> ParseAmzDate(std::string_view text);
// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);

}  // namespace payrecon::core
