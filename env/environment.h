#pragma once
// Environment variables of the process, read in one place. Configuration loading takes them through an injected
// lookup (config::Environment) so that tests never touch the real environment.
#include <optional>
#include <string>
#include <string_view>

namespace payrecon::env {

// The variable's value (possibly empty), or nullopt when it is unset.
std::optional<std::string> GetEnv(std::string_view name);

}  // namespace payrecon::env
