#pragma once
// The configuration schema: one row per key with its type, range, default and meaning. It is the one statement of
// these facts: config::Load takes the known keys and every numeric and length range from it, `config check`
// (config::Render) prints the keys in its order, and a test holds the README's configuration table and
// config/payrecon.example.yaml to it (same keys, defaults and ranges). The structs in settings.h hold the values.
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/settings.h"

namespace payrecon::config {

enum class Type {
  kText,          // a scalar taken as text (URLs, names, paths)
  kInteger,       // a whole number in [min, max]
  kBoolean,       // true / false
  kDuration,      // "250ms", "5m", ... in [min, max] milliseconds (or 0 when zero_means says what 0 does)
  kDurationList,  // count_min..count_max durations, each in [min, max] milliseconds
};

// A key's effective value, as `config check` prints it.
using Value = std::variant<std::string, int, bool, core::Millis, std::vector<core::Millis>>;

struct Key {
  std::string_view path;  // "worker.in_flight"; keys of each merchant are "merchants[].merchant_id"
  Type type = Type::kText;
  // kInteger: the value; kDuration and each step of kDurationList: milliseconds; kText: the length in characters
  // (both 0: the loader's own rule for the key, e.g. a URL or a host name).
  std::int64_t min = 0;
  std::int64_t max = 0;
  std::int64_t count_min = 0;  // kDurationList: the number of steps
  std::int64_t count_max = 0;
  std::string_view zero_means;     // kDuration: 0 is accepted outside [min, max] and means this
  std::string_view default_value;  // the default as YAML text ("16", "5s"); empty: none, required or derived
  std::string_view default_text;   // the README's default cell when default_value is empty
  std::string_view range;          // the README's range cell
  std::string_view meaning;        // the README's meaning cell
  bool omit_when_empty = false;    // `config check` leaves the key out while it is empty (an unset option)
  Value (*of_settings)(const Settings&) = nullptr;          // the effective value (section keys)
  Value (*of_merchant)(const MerchantSettings&) = nullptr;  // the effective value (merchants[] keys)

  // "worker" of "worker.in_flight", "merchants[]" of "merchants[].merchant_id".
  std::string_view Section() const { return path.substr(0, path.find('.')); }
  // "in_flight" of "worker.in_flight".
  std::string_view Name() const { return path.substr(path.find('.') + 1); }
  core::Millis MinDuration() const { return core::Millis{min}; }
  core::Millis MaxDuration() const { return core::Millis{max}; }
};

// Every key, in the order of the README's table, the example file and `config check`.
std::span<const Key> Schema();

// The key at `path` ("worker.in_flight", "merchants[].merchant_id"); throws std::out_of_range for an unknown path
// (a programming error: the loader asks only for keys it knows).
const Key& KeyAt(std::string_view path);

// The names of the keys of one section ("worker", "merchants[]") in schema order; the sections themselves for "".
std::vector<std::string_view> KeysOf(std::string_view section);

}  // namespace payrecon::config
