#include "core/rupees.h"

#include <cstdint>

namespace payrecon::core {

std::string FormatRupees(Paise paise) {
  // The magnitude as unsigned, so INT64_MIN has one too.
  const bool negative = paise < 0;
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(paise + 1)) + 1 : static_cast<std::uint64_t>(paise);
  const std::string rupees = std::to_string(magnitude / 100);
  const std::uint64_t fraction = magnitude % 100;
  std::string grouped;
  const std::size_t n = rupees.size();
  for (std::size_t i = 0; i < n; ++i) {
    // A comma before the last three digits, and every two digits before that.
    const std::size_t left = n - i;
    if (i > 0 && (left == 3 || (left > 3 && (left - 3) % 2 == 0))) grouped += ',';
    grouped += rupees[i];
  }
  std::string out = negative ? "-\u20b9" : "\u20b9";
  out += grouped;
  out += '.';
  out += static_cast<char>('0' + fraction / 10);
  out += static_cast<char>('0' + fraction % 10);
  return out;
}

}  // namespace payrecon::core
