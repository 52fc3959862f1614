#pragma once
// The effective configuration as YAML, for `payrecon config check`.
#include <string>

#include "config/settings.h"

namespace payrecon::config {

// Every key with its effective value (defaults included, durations as core::FormatDuration, relative paths
// resolved), in the schema's order. Secrets print as "***" next to the key they came from
// (`secret_key: "***"`); the secret text never appears. Ends with a newline.
std::string Render(const Settings& settings);

}  // namespace payrecon::config
