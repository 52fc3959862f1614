#include "env/environment.h"

#include <cstdlib>

namespace payrecon::env {

std::optional<std::string> GetEnv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace payrecon::env
