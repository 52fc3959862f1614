#pragma once
// Money is an int64 count of paise (1/100 rupee) everywhere: JSON text, database bigint and CSV text.
// No floating point ever touches an amount.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.h"

namespace payrecon::core {

using Paise = std::int64_t;

// Parses a non-negative decimal rupee amount as the gateway writes it: "1500", "1500.5", "1500.00", ".1",
// or a JSON number token taken as text ("0.01"). Rejects empty text, signs, spaces, exponents, more than two
// decimals, junk and values that overflow int64 paise; the error says which and quotes the input.
Expected<Paise> ParseAmount(std::string_view text);

// Formats paise as rupees with exactly two decimals: 150000 -> "1500.00", 5 -> "0.05", -5 -> "-0.05".
std::string FormatAmount(Paise paise);

}  // namespace payrecon::core
