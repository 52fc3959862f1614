#include "core/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace payrecon::core {

namespace {

Error Bad(const std::string& name, const std::string& why) { return Error{"time zone '" + name + "': " + why}; }

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Howard Hinnant's civil_from_days: days since 1970-01-01 -> (year, month 1-12, day 1-31).
void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Big-endian reader over TZif bytes.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool Has(std::size_t n) const { return pos_ + n <= b_.size(); }
  std::uint8_t U8() { return static_cast<std::uint8_t>(b_[pos_++]); }
  std::int64_t Be(int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_++]);
    if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
  }
  void Skip(std::size_t n) { pos_ += n; }
  std::size_t pos() const { return pos_; }
  std::string_view Rest() const { return b_.substr(pos_); }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool ReadHeader(Reader& r, Header& h) {
  if (!r.Has(44)) return false;
  if (r.U8() != 'T' || r.U8() != 'Z' || r.U8() != 'i' || r.U8() != 'f') return false;
  h.version = static_cast<char>(r.U8());
  r.Skip(15);
  h.isutcnt = static_cast<std::uint32_t>(r.Be(4));
  h.isstdcnt = static_cast<std::uint32_t>(r.Be(4));
  h.leapcnt = static_cast<std::uint32_t>(r.Be(4));
  h.timecnt = static_cast<std::uint32_t>(r.Be(4));
  h.typecnt = static_cast<std::uint32_t>(r.Be(4));
  h.charcnt = static_cast<std::uint32_t>(r.Be(4));
  return true;
}

std::size_t DataSize(const Header& h, int time_bytes) {
  return std::size_t{h.timecnt} * static_cast<std::size_t>(time_bytes) + h.timecnt + std::size_t{h.typecnt} * 6 +
         h.charcnt + std::size_t{h.leapcnt} * static_cast<std::size_t>(time_bytes + 4) + h.isstdcnt + h.isutcnt;
}

// POSIX TZ text parsing.
class TzText {
 public:
  explicit TzText(std::string_view s) : s_(s) {}
  bool Done() const { return i_ >= s_.size(); }
  char Peek() const { return Done() ? '\0' : s_[i_]; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  bool Name(std::string& out) {
    if (Eat('<')) {
      const std::size_t end = s_.find('>', i_);
      if (end == std::string_view::npos || end == i_) return false;
      out = std::string(s_.substr(i_, end - i_));
      i_ = end + 1;
      return out.size() >= 3;
    }
    const std::size_t start = i_;
    while (!Done() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
    out = std::string(s_.substr(start, i_ - start));
    return out.size() >= 3;
  }
  bool Number(int& out, int max_digits) {
    int n = 0, digits = 0;
    while (!Done() && std::isdigit(static_cast<unsigned char>(s_[i_])) && digits < max_digits) {
      n = n * 10 + (s_[i_++] - '0');
      ++digits;
    }
    out = n;
    return digits > 0;
  }
  // [+-]hh[:mm[:ss]] in seconds; hours up to 167 (RFC 8536's extension for rule times).
  bool Hms(std::int32_t& out) {
    int sign = 1;
    if (Eat('-')) sign = -1;
    else Eat('+');
    int h = 0, m = 0, sec = 0;
    if (!Number(h, 3) || h > 167) return false;
    if (Eat(':')) {
      if (!Number(m, 2) || m > 59) return false;
      if (Eat(':') && (!Number(sec, 2) || sec > 59)) return false;
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
  bool RuleAt(TimeZone::Rule& r) {
    if (Eat('M')) {
      r.kind = TimeZone::Rule::Kind::kMonthWeekDay;
      if (!Number(r.month, 2) || r.month < 1 || r.month > 12 || !Eat('.')) return false;
      if (!Number(r.week, 1) || r.week < 1 || r.week > 5 || !Eat('.')) return false;
      if (!Number(r.day, 1) || r.day > 6) return false;
    } else if (Eat('J')) {
      r.kind = TimeZone::Rule::Kind::kJulianNoLeap;
      if (!Number(r.julian, 3) || r.julian < 1 || r.julian > 365) return false;
    } else {
      r.kind = TimeZone::Rule::Kind::kJulianZero;
      if (!Number(r.julian, 3) || r.julian > 365) return false;
    }
    r.time_seconds = 7200;
    if (Eat('/') && !Hms(r.time_seconds)) return false;
    return true;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// Days since the epoch of the rule's date in `year`.
std::int64_t RuleDay(const TimeZone::Rule& r, std::int64_t year) {
  const std::int64_t jan1 = DaysFromCivil(year, 1, 1);
  switch (r.kind) {
    case TimeZone::Rule::Kind::kJulianNoLeap: {
      // Jn: 1-365, February 29 is never counted.
      std::int64_t day = r.julian - 1;
      if (IsLeap(year) && r.julian >= 60) ++day;
      return jan1 + day;
    }
    case TimeZone::Rule::Kind::kJulianZero: return jan1 + r.julian;
    case TimeZone::Rule::Kind::kMonthWeekDay: break;
  }
  const auto month = static_cast<unsigned>(r.month);
  const std::int64_t first = DaysFromCivil(year, month, 1);
  const std::int64_t first_weekday = ((first % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday (4)
  std::int64_t day = first + ((r.day - first_weekday) % 7 + 7) % 7 + (r.week - 1) * 7;
  while (day >= first + DaysInMonth(year, month)) day -= 7;
  return day;
}

ZoneOffset FromFooter(const TimeZone::PosixTz& tz, std::int64_t t) {
  if (!tz.daylight) return tz.standard;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(FloorDiv(t + tz.standard.utc_offset_seconds, 86400), y, m, d);
  // The change times are local: the start in standard time, the end in daylight time.
  const std::int64_t start = RuleDay(tz.start, y) * 86400 + tz.start.time_seconds - tz.standard.utc_offset_seconds;
  const std::int64_t end = RuleDay(tz.end, y) * 86400 + tz.end.time_seconds - tz.daylight->utc_offset_seconds;
  const bool in_dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return in_dst ? *tz.daylight : tz.standard;
}

std::string Two(std::int64_t n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(n));
  return buf;
}

}  // namespace

TimeZone TimeZone::Utc() {
  TimeZone z;
  z.name_ = "UTC";
  z.types_.push_back(ZoneOffset{0, false, "UTC"});
  return z;
}

Expected<TimeZone::PosixTz> TimeZone::ParsePosixTz(std::string_view text) {
  const auto bad = [&] { return Error{"bad POSIX TZ rule '" + std::string(text) + "'"}; };
  TzText p(text);
  PosixTz tz;
  std::int32_t off = 0;
  if (!p.Name(tz.standard.abbreviation) || !p.Hms(off)) return bad();
  tz.standard.utc_offset_seconds = -off;  // POSIX offsets count west of Greenwich
  if (p.Done()) return tz;
  ZoneOffset dst;
  dst.dst = true;
  if (!p.Name(dst.abbreviation)) return bad();
  dst.utc_offset_seconds = tz.standard.utc_offset_seconds + 3600;
  if (p.Peek() != ',' && !p.Done()) {
    if (!p.Hms(off)) return bad();
    dst.utc_offset_seconds = -off;
  }
  tz.daylight = dst;
  if (!p.Eat(',') || !p.RuleAt(tz.start) || !p.Eat(',') || !p.RuleAt(tz.end) || !p.Done()) return bad();
  return tz;
}

Expected<TimeZone> TimeZone::FromTzif(std::string name, std::string_view bytes) {
  Reader r(bytes);
  Header h;
  if (!ReadHeader(r, h)) return Bad(name, "not a TZif file");
  int time_bytes = 4;
  if (h.version >= '2') {
    // Skip the 32-bit block; the second header describes the 64-bit data.
    const std::size_t skip = DataSize(h, 4);
    if (!r.Has(skip)) return Bad(name, "truncated");
    r.Skip(skip);
    if (!ReadHeader(r, h)) return Bad(name, "truncated second header");
    time_bytes = 8;
  }
  if (h.typecnt == 0 || h.typecnt > 256 || (h.charcnt == 0) || !r.Has(DataSize(h, time_bytes))) {
    return Bad(name, "truncated or inconsistent counts");
  }
  TimeZone z;
  z.name_ = std::move(name);
  z.transitions_.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    z.transitions_.push_back(r.Be(time_bytes));
    if (i > 0 && z.transitions_[i] <= z.transitions_[i - 1]) return Bad(z.name_, "transitions out of order");
  }
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    const std::uint8_t type = r.U8();
    if (type >= h.typecnt) return Bad(z.name_, "transition names an unknown type");
    z.transition_types_.push_back(type);
  }
  std::vector<std::uint8_t> desig;
  for (std::uint32_t i = 0; i < h.typecnt; ++i) {
    ZoneOffset o;
    o.utc_offset_seconds = static_cast<std::int32_t>(r.Be(4));
    o.dst = r.U8() != 0;
    desig.push_back(r.U8());
    z.types_.push_back(std::move(o));
  }
  const std::string_view chars = r.Rest().substr(0, h.charcnt);
  for (std::uint32_t i = 0; i < h.typecnt; ++i) {
    if (desig[i] >= chars.size()) return Bad(z.name_, "abbreviation index out of range");
    const std::string_view a = chars.substr(desig[i]);
    z.types_[i].abbreviation = std::string(a.substr(0, a.find('\0')));
  }
  r.Skip(h.charcnt + std::size_t{h.leapcnt} * static_cast<std::size_t>(time_bytes + 4) + h.isstdcnt + h.isutcnt);
  if (time_bytes == 8) {
    const std::string_view rest = r.Rest();
    if (rest.size() < 2 || rest[0] != '\n') return Bad(z.name_, "missing footer");
    const std::size_t end = rest.find('\n', 1);
    if (end == std::string_view::npos) return Bad(z.name_, "unterminated footer");
    const std::string_view footer = rest.substr(1, end - 1);
    if (!footer.empty()) {
      auto parsed = ParsePosixTz(footer);
      if (!parsed) return Bad(z.name_, parsed.error());
      z.footer_ = *parsed;
    }
  }
  return z;
}

ZoneOffset TimeZone::OffsetAt(Instant t) const {
  const std::int64_t s = FloorDiv(t.time_since_epoch().count(), 1000);
  if (transitions_.empty()) return footer_ ? FromFooter(*footer_, s) : types_.front();
  if (s < transitions_.front()) return types_.front();
  if (s >= transitions_.back() && footer_) return FromFooter(*footer_, s);
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  return types_[transition_types_[static_cast<std::size_t>(it - transitions_.begin()) - 1]];
}

std::string FormatUtcOffset(std::int32_t seconds) {
  const char sign = seconds < 0 ? '-' : '+';
  const std::int64_t a = seconds < 0 ? -std::int64_t{seconds} : seconds;
  return std::string(1, sign) + Two(a / 3600) + ":" + Two(a % 3600 / 60);
}

std::string FormatLocal(Instant t, const TimeZone& zone) {
  const ZoneOffset o = zone.OffsetAt(t);
  const std::int64_t local = FloorDiv(t.time_since_epoch().count(), 1000) + o.utc_offset_seconds;
  const std::int64_t days = FloorDiv(local, 86400);
  const std::int64_t secs = local - days * 86400;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld", static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs % 3600 / 60),
                static_cast<long long>(secs % 60));
  return std::string(buf) + " " + (o.abbreviation.empty() ? FormatUtcOffset(o.utc_offset_seconds) : o.abbreviation);
}

}  // namespace payrecon::core
