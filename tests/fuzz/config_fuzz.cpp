// libFuzzer target for the configuration loader (config::LoadFromString) on YAML text, with a fixed
// environment holding two merchant secrets. Properties:
//   - the loader either returns settings or throws ConfigError with at least one problem: no other exception
//     (a yaml-cpp error, std::out_of_range ...) escapes;
//   - no problem message and no rendered configuration contains a secret's value;
//   - an accepted configuration, rendered as `config check` prints it (less the masked secret lines), loads
//     again to the same rendering.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "config/load.h"
#include "config/render.h"

using namespace payrecon;

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "config_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

constexpr std::string_view kSecretOne = "q7Vd2-SECRET-ONE-xY93kPzL0mWn";
constexpr std::string_view kSecretTwo = "t4Rb8-SECRET-TWO-aB61cDeF2gHi";

const config::Environment& Env() {
  static const config::Environment env = config::MapEnvironment({
      {"PAYRECON_SECRET_M1", std::string(kSecretOne)},
      {"PAYRECON_SECRET_M2", std::string(kSecretTwo)},
      {"EMPTY", ""},
  });
  return env;
}

bool HoldsSecret(std::string_view text) {
  return text.find(kSecretOne) != std::string_view::npos || text.find(kSecretTwo) != std::string_view::npos;
}

// The rendering without the `secret_key: "***"` lines, which are output only (an unknown key on input).
std::string WithoutMasks(const std::string& rendered) {
  std::istringstream in(rendered);
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    if (line.find("secret_key:") != std::string::npos) continue;
    out += line;
    out += '\n';
  }
  return out;
}

// Whether messages must not show a secret: not when the input itself holds one (an echoed key or value is the
// user's own text, not a secret read from the environment).
bool g_check_secrets = true;

std::optional<config::Settings> Load(std::string_view yaml) {
  try {
    return config::LoadFromString(yaml, Env(), "");
  } catch (const config::ConfigError& e) {
    Require(!e.problems().empty(), "a ConfigError without problems");
    for (const auto& p : e.problems()) {
      Require(!p.empty(), "an empty problem");
      Require(!g_check_secrets || !HoldsSecret(p), "a problem shows a secret");
    }
    Require(!g_check_secrets || !HoldsSecret(e.what()), "the error shows a secret");
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  g_check_secrets = !HoldsSecret(yaml);
  const auto settings = Load(yaml);
  if (!settings) return 0;
  const std::string rendered = config::Render(*settings);
  Require(!g_check_secrets || !HoldsSecret(rendered), "the rendered configuration shows a secret");
  const auto again = Load(WithoutMasks(rendered));
  if (!again) std::fprintf(stderr, "config_fuzz: the rendering:\n%s", rendered.c_str());
  Require(again.has_value(), "the rendered configuration does not load");
  Require(config::Render(*again) == rendered, "the rendered configuration loads to something else");
  return 0;
}
