#include "core/money.h"

#include <limits>

namespace payrecon::core {
namespace {

std::string Quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  std::string out = "\"";
  out.append(text.substr(0, kMaxShown));
  if (text.size() > kMaxShown) out += "...";
  out += "\"";
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Expected<Paise> ParseAmount(std::string_view text) {
  if (text.empty()) return Error{"amount is empty"};
  const auto fail = [&](std::string_view why) { return Error{"invalid amount " + Quote(text) + ": " + std::string(why)}; };
  if (text.front() == '-') return fail("negative amounts are not allowed");
  if (text.front() == '+') return fail("a sign is not allowed");
  std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  for (char c : text) {
    if (c == 'e' || c == 'E') return fail("exponents are not allowed");
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return fail("spaces are not allowed");
  }
  for (char c : whole) {
    if (!IsDigit(c)) return fail("not a decimal number");
  }
  for (char c : frac) {
    if (!IsDigit(c)) return fail("not a decimal number");
  }
  if (whole.empty() && frac.empty()) return fail("no digits");
  if (whole.empty()) return fail("no digits before the decimal point");
  if (dot != std::string_view::npos && frac.empty()) return fail("no digits after the decimal point");
  if (frac.size() > 2) return fail("more than two decimals");

  constexpr Paise kMax = std::numeric_limits<Paise>::max();
  Paise rupees = 0;
  for (char c : whole) {
    const Paise digit = c - '0';
    if (rupees > (kMax - digit) / 10) return fail("too large");
    rupees = rupees * 10 + digit;
  }
  Paise fraction = 0;
  if (!frac.empty()) fraction = (frac[0] - '0') * 10 + (frac.size() > 1 ? frac[1] - '0' : 0);
  if (rupees > (kMax - fraction) / 100) return fail("too large");
  return rupees * 100 + fraction;
}

std::string FormatAmount(Paise paise) {
  const bool negative = paise < 0;
  // Work in unsigned so that the minimum int64 formats without overflow.
  std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(paise) : static_cast<std::uint64_t>(paise);
  std::string out = std::to_string(magnitude / 100);
  const auto cents = static_cast<unsigned>(magnitude % 100);
  out += '.';
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  return negative ? "-" + out : out;
}

}  // namespace payrecon::core
