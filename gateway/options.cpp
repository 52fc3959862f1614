#include "gateway/options.h"

#include <algorithm>
#include <charconv>

namespace payrecon::gateway {
namespace {

[[noreturn]] void Bad(std::string_view field, std::string_view why) {
  throw InvalidOptions("gateway option '" + std::string(field) + "': " + std::string(why));
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
    return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
  });
}

// Header values go on the wire exactly as signed: no control characters (CR/LF would split the header).
void CheckHeaderValue(std::string_view field, const std::string& value) {
  if (value.empty()) Bad(field, "must not be empty");
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7F) Bad(field, "must be printable ASCII without spaces");
  }
}

}  // namespace

Endpoint ParseEndpoint(const std::string& url) {
  Endpoint e;
  std::string_view rest = url;
  if (StartsWithNoCase(rest, "https://")) {
    e.https = true;
    e.port = 443;
    rest.remove_prefix(8);
  } else if (StartsWithNoCase(rest, "http://")) {
    e.https = false;
    e.port = 80;
    rest.remove_prefix(7);
  } else {
    Bad("endpoint", "'" + url + "' must start with https:// or http://");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@ ") != std::string_view::npos) {
    Bad("endpoint", "'" + url + "' must be scheme://host[:port] without path, query or user");
  }
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) Bad("endpoint", "'" + url + "' has an unclosed '['");
    e.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') Bad("endpoint", "'" + url + "' has junk after the host");
      port_text = rest.substr(1);
      if (port_text.empty()) Bad("endpoint", "'" + url + "' has an empty port");
    }
  } else {
    const auto colon = rest.find(':');
    e.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) Bad("endpoint", "'" + url + "' has an empty port");
    }
  }
  if (e.host.empty()) Bad("endpoint", "'" + url + "' has no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      Bad("endpoint", "'" + url + "' has a bad port");
    }
    e.port = static_cast<std::uint16_t>(port);
  }
  return e;
}

void ValidateOptions(const GatewayOptions& options) {
  const Endpoint e = ParseEndpoint(options.endpoint);
  if (!e.https && !options.allow_insecure_http) {
    Bad("endpoint", "'" + options.endpoint + "' is plain http:// and allow_insecure_http is off");
  }
  if (!options.signing_host.empty() && options.signing_host.find_first_of("/:?# ") != std::string::npos) {
    Bad("signing_host", "'" + options.signing_host + "' must be a bare host name");
  }
  if (options.connect_timeout.count() <= 0) Bad("connect_timeout", "must be positive");
  if (options.read_timeout.count() <= 0) Bad("read_timeout", "must be positive");
  if (options.expires_seconds < 1 || options.expires_seconds > 3600) Bad("expires_seconds", "must be in 1..3600");
  CheckHeaderValue("user_ip", options.user_ip);
  CheckHeaderValue("user_agent", options.user_agent);
  CheckHeaderValue("source", options.source);
}

}  // namespace payrecon::gateway
