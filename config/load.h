#pragma once
// Loads and validates the configuration: YAML (yaml-cpp) plus secrets from the environment or mounted files.
// Every problem is collected and reported at once with its key path; nothing is clamped or guessed.
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace payrecon::config {

// An environment lookup: the variable's value, or nullopt when unset. Injected so tests never touch the process
// environment.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment (env::GetEnv).
Environment ProcessEnvironment();
// A fixed environment, for tests.
Environment MapEnvironment(std::map<std::string, std::string, std::less<>> variables);

// The configuration is unusable (the job exits 2). what() is every problem joined by "\n"; no message contains
// a secret value.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  // One line each, e.g. `worker.in_flight: must be between 1 and 1024, got 0`,
  // `merchants[1].secret_key_env: environment variable "AMZ_SECRET_M2" is not set`, in schema order.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

struct LoadOptions {
  // false: merchant secrets are neither looked up nor read (secret_key stays empty); secret_key_env must still be
  // a variable name and secret_key_file a non-empty path. For commands that make no gateway call.
  bool read_secrets = true;
  // Where the path came from, for messages about the file as a whole: `config file "x" (<origin>): cannot
  // read: …`. Empty: the path was given as is (--config).
  std::string origin;
};

// Reads the YAML file at `path` and validates it. Relative paths inside it (secret_key_file, ca_file,
// reports.dir) are taken from the file's folder. Reads secret_key_file and checks ca_file is readable.
// Throws ConfigError listing every problem (an unreadable file is one problem: `config file "x": cannot read: …`).
Settings Load(const std::string& path, const Environment& env, const LoadOptions& options = {});

// The same for YAML text already in memory; relative paths are taken from `base_dir` ("" = as written).
Settings LoadFromString(std::string_view yaml, const Environment& env, const std::string& base_dir,
                        const LoadOptions& options = {});

}  // namespace payrecon::config
