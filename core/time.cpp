#include "core/time.h"

#include <cstdio>

namespace payrecon::core {
namespace {

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

Civil CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {m <= 2 ? y + 1 : y, m, d};
}

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

unsigned DaysInMonth(int y, int m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

struct Parts {
  int y, mo, d, h, mi, s;
};

Expected<Instant> FromParts(const Parts& p, std::int64_t millis, std::int64_t offset_minutes, std::string_view text) {
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || static_cast<unsigned>(p.d) > DaysInMonth(p.y, p.mo) || p.h > 23 ||
      p.mi > 59 || p.s > 59) {
    return Error{"invalid timestamp \"" + std::string(text) + "\": field out of range"};
  }
  const std::int64_t days = DaysFromCivil(p.y, static_cast<unsigned>(p.mo), static_cast<unsigned>(p.d));
  const std::int64_t secs = days * 86400 + p.h * 3600 + p.mi * 60 + p.s - offset_minutes * 60;
  return Instant{Millis{secs * 1000 + millis}};
}

}  // namespace

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Expected<Instant> ParseIso8601(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Error{"invalid timestamp \"" + std::string(text.substr(0, 64)) + "\": " + std::string(why)};
  };
  Parts p{};
  if (!Digits(text, 0, 4, p.y) || text.size() < 19 || text[4] != '-' || !Digits(text, 5, 2, p.mo) ||
      text[7] != '-' || !Digits(text, 8, 2, p.d) || (text[10] != 'T' && text[10] != ' ') ||
      !Digits(text, 11, 2, p.h) || text[13] != ':' || !Digits(text, 14, 2, p.mi) || text[16] != ':' ||
      !Digits(text, 17, 2, p.s)) {
    return bad("expected YYYY-MM-DDTHH:MM:SS with a zone");
  }
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return bad("bad fraction of a second");
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  if (pos >= text.size()) return bad("missing time zone (use Z or +HH:MM)");
  std::int64_t offset = 0;
  if (text[pos] == 'Z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh = 0, om = 0;
    const int sign = text[pos] == '-' ? -1 : 1;
    if (!Digits(text, pos + 1, 2, oh)) return bad("bad zone offset");
    std::size_t after = pos + 3;
    if (after < text.size() && text[after] == ':') ++after;
    if (!Digits(text, after, 2, om) || oh > 23 || om > 59) return bad("bad zone offset");
    offset = sign * (oh * 60 + om);
    pos = after + 2;
  } else {
    return bad("missing time zone (use Z or +HH:MM)");
  }
  if (pos != text.size()) return bad("trailing characters");
  return FromParts(p, millis, offset, text);
}

namespace {

// The calendar fields of t (UTC), for the formatters below.
struct Fields {
  Civil c;
  std::int64_t hour, minute, second, millis;
};

Fields FieldsOf(Instant t) {
  const std::int64_t ms = t.time_since_epoch().count();
  const std::int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const std::int64_t sod = secs - days * 86400;
  return Fields{CivilFromDays(days), sod / 3600, sod / 60 % 60, sod % 60, ms - secs * 1000};
}

// Appends v (0 <= v < 10^width) in `width` digits, zero-padded.
void AppendDigits(std::string& out, std::int64_t v, int width) {
  char digits[4];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(digits, static_cast<std::size_t>(width));
}

// "YYYY-MM-DDTHH:MM:SS" (with_separators) or "YYYYMMDDTHHMMSS". Written digit by digit: these are formatted for
// every report row and every signed request, and snprintf was a visible share of the job's CPU.
void AppendDateTime(std::string& out, const Fields& f, bool with_separators) {
  if (f.c.y < 0 || f.c.y > 9999) {  // outside what four digits hold: the general (slow) path
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(f.c.y));
    out += buf;
  } else {
    AppendDigits(out, f.c.y, 4);
  }
  if (with_separators) out += '-';
  AppendDigits(out, f.c.m, 2);
  if (with_separators) out += '-';
  AppendDigits(out, f.c.d, 2);
  out += 'T';
  AppendDigits(out, f.hour, 2);
  if (with_separators) out += ':';
  AppendDigits(out, f.minute, 2);
  if (with_separators) out += ':';
  AppendDigits(out, f.second, 2);
}

}  // namespace

std::string FormatIso8601Millis(Instant t) {
  const Fields f = FieldsOf(t);
  std::string out;
  out.reserve(24);
  AppendDateTime(out, f, true);
  out += '.';
  AppendDigits(out, f.millis, 3);
  out += 'Z';
  return out;
}

std::string FormatIso8601(Instant t) {
  std::string out;
  out.reserve(20);
  AppendDateTime(out, FieldsOf(t), true);
  out += 'Z';
  return out;
}

std::string FormatAmzDate(Instant t) {
  std::string out;
  out.reserve(16);
  AppendDateTime(out, FieldsOf(t), false);
  out += 'Z';
  return out;
}

Expected<Instant> ParseAmzDate(std::string_view text) {
  Parts p{};
  if (text.size() != 16 || !Digits(text, 0, 4, p.y) || !Digits(text, 4, 2, p.mo) || !Digits(text, 6, 2, p.d) ||
      text[8] != 'T' || !Digits(text, 9, 2, p.h) || !Digits(text, 11, 2, p.mi) || !Digits(text, 13, 2, p.s) ||
      text[15] != 'Z') {
    return Error{"invalid x-amz-date \"" + std::string(text.substr(0, 32)) + "\": expected YYYYMMDDTHHMMSSZ"};
  }
  return FromParts(p, 0, 0, text);
}

}  // namespace payrecon::core
