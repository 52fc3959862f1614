#pragma once
// Time zones for people (reports.display_timezone): a zone read from TZif bytes (RFC 8536, the files of the tz
// database under /usr/share/zoneinfo) and local-time formatting. Pure: the caller reads the file. CSV, JSON and
// logs stay UTC; only HTML pages and the `show` table use a display zone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.h"
#include "core/time.h"

namespace payrecon::core {

// What a zone says at one instant.
struct ZoneOffset {
  std::int32_t utc_offset_seconds = 0;  // local = UTC + offset (+19800 for India)
  bool dst = false;
  std::string abbreviation;             // "IST", "EDT", "UTC", "+04"
};

class TimeZone {
 public:
  // UTC, without any file.
  static TimeZone Utc();
  // Parses TZif version 1, 2, 3 or 4 bytes; with version 2 and up the 64-bit data and the footer's POSIX TZ rule
  // (for instants after the last transition) are used. Leap-second records are ignored (no "right/" zones).
  // Errors name `name` and what is wrong ("not a TZif file", "truncated", "bad footer").
  static Expected<TimeZone> FromTzif(std::string name, std::string_view bytes);

  const std::string& name() const { return name_; }
  ZoneOffset OffsetAt(Instant t) const;

  // A POSIX TZ rule, e.g. "EST5EDT,M3.2.0,M11.1.0" (the TZif footer). Public for tests.
  struct Rule {
    enum class Kind { kMonthWeekDay, kJulianNoLeap, kJulianZero };
    Kind kind = Kind::kMonthWeekDay;
    int month = 0, week = 0, day = 0;   // Mm.w.d: month 1-12, week 1-5 (5 = last), weekday 0-6 (Sunday = 0)
    int julian = 0;                     // Jn (1-365, Feb 29 never counted) or n (0-365)
    std::int32_t time_seconds = 7200;   // local time of the change, default 02:00 (may be negative or > 24 h)
  };
  struct PosixTz {
    ZoneOffset standard;
    std::optional<ZoneOffset> daylight;
    Rule start, end;                    // with daylight
  };
  static Expected<PosixTz> ParsePosixTz(std::string_view text);

 private:
  std::string name_;
  std::vector<std::int64_t> transitions_;      // Unix seconds, ascending
  std::vector<std::uint8_t> transition_types_; // index into types_ per transition
  std::vector<ZoneOffset> types_;
  std::optional<PosixTz> footer_;
};

// "2026-12-01 16:02:05 IST": the local wall time in `zone`, to the second, and the zone's abbreviation.
std::string FormatLocal(Instant t, const TimeZone& zone);
// "+05:30", "-04:00", "+00:00".
std::string FormatUtcOffset(std::int32_t seconds);

}  // namespace payrecon::core
