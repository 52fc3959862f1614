#pragma once
// Amounts for people: paise as rupees with Indian digit grouping (lakh, crore), for HTML pages and tables.
// Machine-readable output (CSV, JSON, metrics) never uses this: it carries integer paise or FormatAmount.
#include <string>

#include "core/money.h"

namespace payrecon::core {

// "₹1,23,456.78": the last three rupee digits, then groups of two; always two decimals; a minus sign before the
// rupee sign for negative amounts ("-₹0.05"). Exact for every int64, INT64_MIN included.
//   0 -> "₹0.00", 5 -> "₹0.05", 12345678 -> "₹1,23,456.78", 1000000000 -> "₹1,00,00,000.00" (one crore).
std::string FormatRupees(Paise paise);

}  // namespace payrecon::core
