#include "config/load.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <utility>

#include "config/schema.h"
#include "core/duration.h"
#include "env/environment.h"

namespace payrecon::config {
namespace {

constexpr std::size_t kMaxSecretFileBytes = 4096;
// The largest TZif file of the tz database is under 4 KB; anything far bigger is not one.
constexpr std::size_t kMaxZoneFileBytes = 256 * 1024;
constexpr std::size_t kMaxShown = 60;

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text.substr(0, kMaxShown));
  if (text.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

std::string_view KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a text value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

bool AllUnreserved(std::string_view s) {
  for (char c : s) {
    if (!IsUnreserved(c)) return false;
  }
  return true;
}

bool IsEnvName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return false;
    }
  }
  return s.front() != '.' && s.front() != '-';
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string ErrnoText(int err) { return std::strerror(err); }

// Reads a whole (small) file; on failure returns nullopt and sets `error` to the OS's reason.
std::optional<std::string> ReadSmallFile(const std::string& path, std::size_t limit, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error = ErrnoText(errno);
    return std::nullopt;
  }
  std::string data;
  char buf[1024];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    data.append(buf, n);
    if (data.size() > limit) {
      std::fclose(f);
      error = "larger than " + std::to_string(limit) + " bytes";
      return std::nullopt;
    }
    if (n < sizeof buf) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) {
    error = ErrnoText(err);
    return std::nullopt;
  }
  return data;
}

struct ConninfoOptionsFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

bool IsUri(std::string_view text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

// Whether a word libpq names may be echoed: a keyword, not a pasted secret. `upper` also allows capitals.
bool PlausibleKeyword(std::string_view word, bool upper) {
  bool plausible = !word.empty() && word.size() <= 32;
  for (char c : word) {
    plausible = plausible && ((c >= 'a' && c <= 'z') || c == '_' || (upper && c >= 'A' && c <= 'Z'));
  }
  return plausible;
}

bool IsPasswordKeyword(std::string_view word) {
  constexpr std::string_view kPassword = "password";
  if (word.size() != kPassword.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char c = word[i] >= 'A' && word[i] <= 'Z' ? static_cast<char>(word[i] - 'A' + 'a') : word[i];
    if (c != kPassword[i]) return false;
  }
  return true;
}

// The text between `prefix` and the next double quote of `message`, when `message` starts with `prefix`.
std::optional<std::string> QuotedAfter(std::string_view message, std::string_view prefix) {
  if (message.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string_view rest = message.substr(prefix.size());
  const std::size_t end = rest.find('"');
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(rest.substr(0, end));
}

// libpq says a quoted value is unterminated but not whose. Closing it and parsing again finds the keyword whose
// value runs to the end of the text (when the value holds no escapes); "" when that does not work out.
std::string UnterminatedKeyword(const std::string& text) {
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, ConninfoOptionsFree> options(PQconninfoParse((text + "'").c_str(), &error));
  PQfreemem(error);
  if (!options) return "";
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string tail = "'" + std::string(o->val);
    if (text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0) {
      return o->keyword;
    }
  }
  return "";
}

// Whether a conninfo (keyword/value or URI) carries a password, by libpq's own parser (PQconninfoParse), so that
// what is accepted here is exactly what libpq accepts when the job connects. A password keyword in any case
// (libpq's keywords are case-sensitive, so `PASSWORD=` is an unknown keyword to it) still counts as a password.
// libpq expands a dbname that is itself a URI or a connection string, so that is checked too. Errors never quote
// a value: libpq's own messages may repeat the whole string, password included, so they are rewritten.
core::Expected<bool> ConninfoHasPassword(const std::string& text, int depth = 0) {
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, ConninfoOptionsFree> options(PQconninfoParse(text.c_str(), &error));
  if (!options) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    for (std::string_view prefix : {"invalid connection option \"", "invalid URI query parameter: \""}) {
      if (const auto keyword = QuotedAfter(message, prefix)) {
        if (IsPasswordKeyword(*keyword)) return true;
        return core::Error{"unknown keyword " + (PlausibleKeyword(*keyword, true)
                                                     ? Quoted(*keyword)
                                                     : std::string("(not shown: it might be a secret)"))};
      }
    }
    if (const auto keyword = QuotedAfter(message, "missing \"=\" after \"")) {
      // Quoted only when it looks like a keyword: a stray word might be a password.
      return core::Error{"missing \"=\" after " +
                         (PlausibleKeyword(*keyword, false) ? Quoted(*keyword) : std::string("a keyword"))};
    }
    if (message.rfind("unterminated quoted string", 0) == 0) {
      const std::string keyword = UnterminatedKeyword(text);
      return core::Error{"unterminated quoted value" + (keyword.empty() ? std::string() : " for " + Quoted(keyword))};
    }
    // libpq's URI messages end with `: "<the URI>"`; anything else is cut at its first quoted word.
    std::size_t cut = message.find(": \"");
    if (cut == std::string::npos && !IsUri(text)) cut = message.find('"');
    return core::Error{message.substr(0, cut)};
  }
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view keyword = o->keyword;
    const std::string value = o->val;
    if (keyword == "password") return true;
    if (keyword == "dbname" && depth == 0 && (IsUri(value) || value.find('=') != std::string::npos)) {
      const auto inner = ConninfoHasPassword(value, depth + 1);
      if (!inner.ok() || *inner) return inner;
    }
  }
  return false;
}

class Loader {
 public:
  Loader(const Environment& env, std::string base_dir, bool read_secrets)
      : env_(env), base_dir_(std::move(base_dir)), read_secrets_(read_secrets) {}

  Settings Run(const YAML::Node& root) {
    Settings settings;
    if (!root.IsMap() && !root.IsNull()) {
      Problem("configuration", "must be a mapping of sections, got " + std::string(KindOf(root)));
      Throw();
    }
    const Section top = Open(root, "", "");
    Database(Get(top, "database"), settings.database);
    AmazonPay(Get(top, "amazonpay"), settings.amazonpay);
    Merchants(Get(top, "merchants"), settings.merchants);
    Worker(Get(top, "worker"), settings.worker, settings.amazonpay);
    Reports(Get(top, "reports"), settings.reports);
    Metrics(Get(top, "metrics"), settings.metrics);
    Throw();
    return settings;
  }

  void Problem(const std::string& path, const std::string& message) { problems_.push_back(path + ": " + message); }

  void Throw() {
    if (!problems_.empty()) throw ConfigError(std::move(problems_));
  }

 private:
  // A mapping's present keys, after unknown and duplicate keys were reported.
  struct Section {
    std::string path;  // "" at the top, else "worker", "merchants[1]"
    std::vector<std::pair<std::string, YAML::Node>> values;
    bool valid = true;  // false when the node was not a mapping
  };
  struct Field {
    std::string path;
    YAML::Node node;
    bool present = false;
  };

  static std::string Join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  // The present keys of the mapping at `path`; a key that `schema_section` ("worker", "merchants[]", "" for the
  // top) of the schema does not list is reported as unknown.
  Section Open(const YAML::Node& node, const std::string& path, std::string_view schema_section) {
    const std::vector<std::string_view> keys = KeysOf(schema_section);
    Section section{path, {}, true};
    if (node.IsNull()) return section;  // an empty section: every default
    if (!node.IsMap()) {
      Problem(path, "must be a mapping, got " + std::string(KindOf(node)));
      section.valid = false;
      return section;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        Problem(path.empty() ? "configuration" : path, "keys must be plain names, got " + std::string(KindOf(it->first)));
        continue;
      }
      const std::string key = it->first.Scalar();
      bool known = false;
      for (std::string_view k : keys) known = known || k == key;
      if (!known) {
        std::string message = "unknown key";
        if (key == "secret_key" || key == "secret" || key == "password") {
          message += " (secrets come from the environment or a mounted file, never the configuration file)";
        }
        Problem(Join(path, key), message);
        continue;
      }
      bool duplicate = false;
      for (const auto& [k, v] : section.values) duplicate = duplicate || k == key;
      if (duplicate) {
        Problem(Join(path, key), "duplicate key");
        continue;
      }
      section.values.emplace_back(key, it->second);
    }
    return section;
  }

  static Field Get(const Section& section, std::string_view key) {
    for (const auto& [k, v] : section.values) {
      if (k == key) return {Join(section.path, key), v, true};
    }
    return {Join(section.path, key), YAML::Node(), false};
  }

  // A scalar's text; reports and returns nullopt for anything else.
  std::optional<std::string> Scalar(const Field& f) {
    if (f.node.IsNull()) {
      Problem(f.path, "missing value");
      return std::nullopt;
    }
    if (!f.node.IsScalar()) {
      Problem(f.path, "must be a text value, got " + std::string(KindOf(f.node)));
      return std::nullopt;
    }
    return f.node.Scalar();
  }

  void Required(const Field& f) {
    if (!f.present) Problem(f.path, "required key is missing");
  }

  bool ReadString(const Field& f, std::string& out) {
    if (!f.present) return false;
    auto s = Scalar(f);
    if (!s) return false;
    out = std::move(*s);
    return true;
  }

  // The schema's row of a field: "merchants[2].merchant_id" is "merchants[].merchant_id".
  static const Key& KeyOf(const Field& f) {
    std::string path = f.path;
    if (path.rfind("merchants[", 0) == 0) path.erase(10, path.find(']') - 10);
    return KeyAt(path);
  }

  bool ReadInt(const Field& f, int& out) {
    if (!f.present) return false;
    const std::int64_t min = KeyOf(f).min;
    const std::int64_t max = KeyOf(f).max;
    auto s = Scalar(f);
    if (!s) return false;
    const std::string& text = *s;
    const bool negative = !text.empty() && text[0] == '-';
    const std::string_view digits = std::string_view(text).substr(negative ? 1 : 0);
    bool ok = f.node.Tag() == "?" && !digits.empty();
    for (char c : digits) ok = ok && c >= '0' && c <= '9';
    if (!ok) {
      Problem(f.path, "must be an integer, got " + Quoted(text));
      return false;
    }
    std::int64_t value = 0;
    const bool huge = digits.size() > 15;  // beyond every range here; avoids overflow
    for (char c : digits.substr(0, 15)) value = value * 10 + (c - '0');
    if (negative) value = -value;
    if (huge || value < min || value > max) {
      Problem(f.path, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                          (huge ? text : std::to_string(value)));
      return false;
    }
    out = static_cast<int>(value);
    return true;
  }

  bool ReadBool(const Field& f, bool& out) {
    if (!f.present) return false;
    auto s = Scalar(f);
    if (!s) return false;
    if (f.node.Tag() == "?" && (*s == "true" || *s == "True" || *s == "TRUE")) {
      out = true;
      return true;
    }
    if (f.node.Tag() == "?" && (*s == "false" || *s == "False" || *s == "FALSE")) {
      out = false;
      return true;
    }
    Problem(f.path, "must be true or false, got " + Quoted(*s));
    return false;
  }

  // A duration in [min, max], or 0 when `zero_means` says what 0 does.
  bool DurationFrom(const std::string& path, const YAML::Node& node, core::Millis min, core::Millis max,
                    std::string_view zero_means, core::Millis& out) {
    auto s = Scalar(Field{path, node, true});
    if (!s) return false;
    const auto d = core::ParseDuration(*s);
    if (!d.ok()) {
      Problem(path, d.error());
      return false;
    }
    const bool zero = !zero_means.empty() && d->count() == 0;
    if (!zero && (*d < min || *d > max)) {
      Problem(path, (zero_means.empty() ? std::string("must be between ")
                                         : "must be 0s (" + std::string(zero_means) + ") or between ") +
                        core::FormatDuration(min) + " and " + core::FormatDuration(max) + ", got " +
                        core::FormatDuration(*d));
      return false;
    }
    out = *d;
    return true;
  }

  bool ReadDuration(const Field& f, core::Millis& out) {
    if (!f.present) return false;
    const Key& key = KeyOf(f);
    return DurationFrom(f.path, f.node, key.MinDuration(), key.MaxDuration(), key.zero_means, out);
  }

  // Text of A-Z a-z 0-9 - _ . ~ whose length is in the schema's range.
  bool ValidUnreserved(const Field& f, const std::string& value) {
    const Key& key = KeyOf(f);
    return static_cast<std::int64_t>(value.size()) >= key.min && static_cast<std::int64_t>(value.size()) <= key.max &&
           AllUnreserved(value);
  }
  static std::string UnreservedRule(const Field& f) {
    return "must be " + std::to_string(KeyOf(f).min) + "-" + std::to_string(KeyOf(f).max) +
           " characters of A-Z a-z 0-9 - _ . ~";
  }

  std::string Resolve(const std::string& path) const {
    if (path.empty() || base_dir_.empty() || path.front() == '/') return path;
    return (std::filesystem::path(base_dir_) / path).lexically_normal().string();
  }

  void Database(const Field& f, DatabaseSettings& out) {
    const Section s = Open(f.present ? f.node : YAML::Node(), "database", "database");
    const Field conninfo = Get(s, "conninfo");
    if (!ReadString(conninfo, out.conninfo)) return;
    const auto has_password = ConninfoHasPassword(out.conninfo);
    if (!has_password.ok()) {
      Problem(conninfo.path, "not a libpq connection string: " + has_password.error());
      out.conninfo.clear();
    } else if (*has_password) {
      Problem(conninfo.path, "must not contain a password; set PGPASSWORD or use a PGPASSFILE instead");
      out.conninfo.clear();
    }
  }

  void Endpoint(const Field& f, AmazonPaySettings& out) {
    std::string url;
    if (!ReadString(f, url)) return;
    const auto bad = [&](const std::string& why) { Problem(f.path, why); };
    if (url.find('@') != std::string::npos) {
      bad("must not contain user information (\"user@\")");
      return;
    }
    std::string scheme;
    std::string_view rest;
    if (url.rfind("https://", 0) == 0) {
      scheme = "https";
      rest = std::string_view(url).substr(8);
    } else if (url.rfind("http://", 0) == 0) {
      scheme = "http";
      rest = std::string_view(url).substr(7);
    } else {
      bad("must be an http(s) URL like \"https://amazonpay.amazon.in\", got " + Quoted(url));
      return;
    }
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find_first_of("/?#") != std::string_view::npos) {
      bad("must not have a path, query or fragment, got " + Quoted(url));
      return;
    }
    std::string host;
    std::string_view port_text;
    bool has_port = false;
    if (!rest.empty() && rest.front() == '[') {
      const std::size_t close = rest.find(']');
      if (close == std::string_view::npos) {
        bad("unterminated IPv6 address in " + Quoted(url));
        return;
      }
      host = std::string(rest.substr(1, close - 1));
      const std::string_view after = rest.substr(close + 1);
      if (!after.empty() && after.front() != ':') {
        bad("unexpected text after the IPv6 address in " + Quoted(url));
        return;
      }
      has_port = !after.empty();
      if (has_port) port_text = after.substr(1);
      if (!IsIpAddress(host)) {
        bad("invalid IPv6 address in " + Quoted(url));
        return;
      }
    } else {
      const std::size_t colon = rest.find(':');
      host = std::string(rest.substr(0, colon));
      has_port = colon != std::string_view::npos;
      if (has_port) port_text = rest.substr(colon + 1);
      if (!IsHostName(host)) {
        bad("invalid host in " + Quoted(url));
        return;
      }
    }
    int port = scheme == "https" ? 443 : 80;
    if (has_port) {
      int p = 0;
      bool ok = !port_text.empty() && port_text.size() <= 5;
      for (char c : port_text) {
        ok = ok && c >= '0' && c <= '9';
        if (ok) p = p * 10 + (c - '0');
      }
      if (!ok || p < 1 || p > 65535) {
        bad("invalid port in " + Quoted(url));
        return;
      }
      port = p;
    }
    if (scheme == "http" && !out.allow_insecure_http) {
      bad("plain http is not allowed; use https, or set amazonpay.allow_insecure_http: true (local sandbox only)");
      return;
    }
    out.endpoint = scheme + "://" + std::string(rest);
    out.endpoint_scheme = scheme;
    out.endpoint_host = host;
    out.endpoint_port = port;
  }

  void AmazonPay(const Field& f, AmazonPaySettings& out) {
    const Section s = Open(f.present ? f.node : YAML::Node(), "amazonpay", "amazonpay");
    // allow_insecure_http first: the endpoint check depends on it.
    ReadBool(Get(s, "allow_insecure_http"), out.allow_insecure_http);
    Endpoint(Get(s, "endpoint"), out);
    out.signing_host = out.endpoint_host;
    const Field signing_host = Get(s, "signing_host");
    std::string host;
    if (ReadString(signing_host, host)) {
      if (IsHostName(host)) {
        out.signing_host = host;
      } else {
        Problem(signing_host.path, "must be a host name (letters, digits, \"-\" and \".\"; no scheme, port or path), got " +
                                       Quoted(host));
      }
    }
    const Field ca = Get(s, "ca_file");
    std::string ca_file;
    if (ReadString(ca, ca_file)) {
      ca_file = Resolve(ca_file);
      std::string error;
      if (ca_file.empty()) {
        Problem(ca.path, "must not be empty (leave the key out to use the system store)");
      } else if (!ReadSmallFile(ca_file, 16 << 20, error)) {
        Problem(ca.path, "cannot read " + Quoted(ca_file) + ": " + error);
      } else {
        out.ca_file = ca_file;
      }
    }
    ReadDuration(Get(s, "connect_timeout"), out.connect_timeout);
    ReadDuration(Get(s, "read_timeout"), out.read_timeout);
    const Field user_ip = Get(s, "user_ip");
    std::string ip;
    if (ReadString(user_ip, ip)) {
      if (IsIpAddress(ip)) {
        out.user_ip = ip;
      } else {
        Problem(user_ip.path, "must be an IPv4 or IPv6 address, got " + Quoted(ip));
      }
    }
    const Field user_agent = Get(s, "user_agent");
    std::string agent;
    if (ReadString(user_agent, agent)) {
      if (ValidUnreserved(user_agent, agent)) {
        out.user_agent = agent;
      } else {
        Problem(user_agent.path, UnreservedRule(user_agent) + ", got " + Quoted(agent));
      }
    }
    ReadInt(Get(s, "expires"), out.expires);
    ReadDuration(Get(s, "response_max_skew"), out.response_max_skew);
  }

  void Merchants(const Field& f, std::vector<MerchantSettings>& out) {
    if (!f.present || f.node.IsNull() || (f.node.IsSequence() && f.node.size() == 0)) {
      Problem("merchants", "at least one merchant is required");
      return;
    }
    if (!f.node.IsSequence()) {
      Problem("merchants", "must be a list, got " + std::string(KindOf(f.node)));
      return;
    }
    std::size_t index = 0;
    for (const YAML::Node& node : f.node) {
      const std::string path = "merchants[" + std::to_string(index++) + "]";
      if (!node.IsMap()) {
        Problem(path, "must be a mapping, got " + std::string(KindOf(node)));
        continue;
      }
      const Section s = Open(node, path, "merchants[]");
      MerchantSettings m;
      const Field id = Get(s, "merchant_id");
      Required(id);
      if (ReadString(id, m.merchant_id)) {
        if (!ValidUnreserved(id, m.merchant_id)) {
          Problem(id.path, UnreservedRule(id) + ", got " + Quoted(m.merchant_id));
        } else {
          for (std::size_t j = 0; j < out.size(); ++j) {
            if (out[j].merchant_id == m.merchant_id) {
              Problem(id.path, "duplicate merchant " + Quoted(m.merchant_id) + " (also merchants[" +
                                   std::to_string(merchant_index_[j]) + "])");
            }
          }
        }
      }
      const Field key_id = Get(s, "access_key_id");
      Required(key_id);
      if (ReadString(key_id, m.access_key_id)) {
        if (!ValidUnreserved(key_id, m.access_key_id)) {
          Problem(key_id.path, UnreservedRule(key_id));
        }
      }
      const Field env = Get(s, "secret_key_env");
      const Field file = Get(s, "secret_key_file");
      if (env.present && file.present) {
        Problem(path, "secret_key_env and secret_key_file exclude each other; set one");
      } else if (!env.present && !file.present) {
        Problem(path, "one of secret_key_env or secret_key_file is required");
      } else if (env.present) {
        SecretFromEnv(env, m);
      } else {
        SecretFromFile(file, m);
      }
      out.push_back(std::move(m));
      merchant_index_.push_back(index - 1);
    }
  }

  // A common mistake is pasting the secret itself where its variable name or file path belongs. Names and paths
  // are echoed in messages only when they look like names or paths, so that mistake never prints the secret.
  static bool LooksLikeEnvName(std::string_view s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char c : s) {
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
  }
  static bool LooksLikePath(std::string_view s) { return s.find_first_of("/.") != std::string_view::npos; }

  void SecretFromEnv(const Field& f, MerchantSettings& m) {
    if (!ReadString(f, m.secret_key_env)) return;
    const bool shown = LooksLikeEnvName(m.secret_key_env);
    if (!IsEnvName(m.secret_key_env)) {
      Problem(f.path, "must be the name of an environment variable (A-Z a-z 0-9 _, not starting with a digit); "
                      "the value is not shown in case it is the secret itself");
      return;
    }
    if (!read_secrets_) return;
    const std::string name = shown ? "environment variable " + Quoted(m.secret_key_env)
                                   : std::string("the environment variable (name not shown: it has lowercase "
                                                 "letters, so it might be the secret itself)");
    const std::optional<std::string> value = env_(m.secret_key_env);
    if (!value) {
      Problem(f.path, name + " is not set");
    } else if (value->empty()) {
      Problem(f.path, name + " is empty");
    } else {
      m.secret_key = core::Secret(*value);
    }
  }

  void SecretFromFile(const Field& f, MerchantSettings& m) {
    std::string path;
    if (!ReadString(f, path)) return;
    if (path.empty()) {
      Problem(f.path, "must not be empty");
      return;
    }
    m.secret_key_file = Resolve(path);
    if (!read_secrets_) return;
    const std::string name = LooksLikePath(path) ? "file " + Quoted(m.secret_key_file)
                                                 : std::string("the file (name not shown: it has no \"/\" or \".\", "
                                                               "so it might be the secret itself)");
    std::string error;
    std::optional<std::string> data = ReadSmallFile(m.secret_key_file, kMaxSecretFileBytes, error);
    if (!data) {
      Problem(f.path, "cannot read " + name + ": " + error);
      return;
    }
    // Files written by editors and `kubectl create secret --from-file` often end in one newline.
    if (!data->empty() && data->back() == '\n') data->pop_back();
    if (!data->empty() && data->back() == '\r') data->pop_back();
    if (data->empty()) {
      Problem(f.path, name + " is empty");
    } else if (data->find_first_of("\r\n") != std::string::npos) {
      Problem(f.path, name + " holds more than one line");
    } else {
      m.secret_key = core::Secret(std::move(*data));
    }
  }

  void Worker(const Field& f, WorkerSettings& out, const AmazonPaySettings& amazonpay) {
    const Section s = Open(f.present ? f.node : YAML::Node(), "worker", "worker");
    ReadInt(Get(s, "batch_size"), out.batch_size);
    ReadInt(Get(s, "in_flight"), out.in_flight);
    ReadInt(Get(s, "io_threads"), out.io_threads);
    ReadInt(Get(s, "max_rps"), out.max_rps);
    const Field lease = Get(s, "lease");
    if (ReadDuration(lease, out.lease)) {
      const core::Millis call = amazonpay.connect_timeout + amazonpay.read_timeout;
      if (out.lease <= call) {
        Problem(lease.path, "must be longer than amazonpay.connect_timeout + amazonpay.read_timeout (" +
                                core::FormatDuration(call) + "), got " + core::FormatDuration(out.lease));
      }
    }
    const Field ladder = Get(s, "pending_ladder");
    if (ladder.present) {
      const Key& key = KeyOf(ladder);
      const auto steps_count = static_cast<std::int64_t>(ladder.node.size());
      if (!ladder.node.IsSequence()) {
        Problem(ladder.path, "must be a list of durations, got " + std::string(KindOf(ladder.node)));
      } else if (steps_count < key.count_min || steps_count > key.count_max) {
        Problem(ladder.path, "must have between " + std::to_string(key.count_min) + " and " +
                                 std::to_string(key.count_max) + " steps, got " + std::to_string(steps_count));
      } else {
        std::vector<core::Millis> steps;
        bool ok = true;
        std::size_t i = 0;
        for (const YAML::Node& step : ladder.node) {
          core::Millis d{};
          ok = DurationFrom(ladder.path + "[" + std::to_string(i++) + "]", step, key.MinDuration(), key.MaxDuration(),
                            key.zero_means, d) &&
               ok;
          steps.push_back(d);
        }
        if (ok) out.pending_ladder = std::move(steps);
      }
    }
    ReadDuration(Get(s, "pending_after_ladder"), out.pending_after_ladder);
    const bool base_ok =
        ReadDuration(Get(s, "error_backoff_base"), out.error_backoff_base) || !Get(s, "error_backoff_base").present;
    const Field backoff_max = Get(s, "error_backoff_max");
    const bool max_ok = ReadDuration(backoff_max, out.error_backoff_max) || !backoff_max.present;
    if (base_ok && max_ok && out.error_backoff_max < out.error_backoff_base) {
      Problem(backoff_max.path, "must be at least worker.error_backoff_base (" +
                                    core::FormatDuration(out.error_backoff_base) + "), got " +
                                    core::FormatDuration(out.error_backoff_max));
    }
    ReadInt(Get(s, "error_limit"), out.error_limit);
    ReadDuration(Get(s, "failing_recheck"), out.failing_recheck);
    ReadDuration(Get(s, "not_found_grace"), out.not_found_grace);
    ReadDuration(Get(s, "charge_stuck_after"), out.charge_stuck_after);
    ReadDuration(Get(s, "refund_stuck_after"), out.refund_stuck_after);
    ReadInt(Get(s, "auth_failures_to_stop"), out.auth_failures_to_stop);
    ReadDuration(Get(s, "deadline"), out.deadline);
    ReadDuration(Get(s, "progress_interval"), out.progress_interval);
    ReadDuration(Get(s, "retry_after_max"), out.retry_after_max);
    ReadDuration(Get(s, "stuck_repeat"), out.stuck_repeat);
  }

  void Reports(const Field& f, ReportsSettings& out) {
    const Section s = Open(f.present ? f.node : YAML::Node(), "reports", "reports");
    DisplayTimeZone(Get(s, "display_timezone"), out);
    ReadInt(Get(s, "index_runs"), out.index_runs);
    ReadInt(Get(s, "pending_limit"), out.pending_limit);
    ReadDuration(Get(s, "keep"), out.keep);
    Compression(Get(s, "compress"), out);
    const Field dir = Get(s, "dir");
    std::string d;
    if (ReadString(dir, d)) {
      if (d.empty()) {
        Problem(dir.path, "must not be empty");
        return;
      }
      out.dir = d;
    }
    out.dir = Resolve(out.dir);
  }

  // An IANA name is letters, digits and "_+-." in "/"-separated parts, none of them "." or "..": never a path out
  // of the zoneinfo folder.
  static bool IsZoneName(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/') return false;
    std::size_t part_start = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
      if (i == name.size() || name[i] == '/') {
        const std::string_view part = name.substr(part_start, i - part_start);
        if (part.empty() || part == "." || part == "..") return false;
        part_start = i + 1;
        continue;
      }
      const char c = name[i];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '+' && c != '.') return false;
    }
    return true;
  }

  void Compression(const Field& f, ReportsSettings& out) {
    std::string word;
    if (!ReadString(f, word)) return;
    if (const auto c = core::ParseReportCompression(word)) {
      out.compress = *c;
    } else {
      Problem(f.path, "must be \"gzip\" or \"none\", got " + Quoted(word));
    }
  }

  void DisplayTimeZone(const Field& f, ReportsSettings& out) {
    std::string name;
    if (!ReadString(f, name)) return;
    if (name == "UTC") {
      out.display_timezone = name;
      out.display_zone = core::TimeZone::Utc();
      return;
    }
    if (!IsZoneName(name)) {
      Problem(f.path, "must be an IANA time zone name like \"Asia/Kolkata\", got " + Quoted(name));
      return;
    }
    const std::optional<std::string> tzdir = env_("TZDIR");
    const std::string dir = tzdir && !tzdir->empty() ? *tzdir : std::string("/usr/share/zoneinfo");
    const std::string path = dir + "/" + name;
    std::string error;
    std::optional<std::string> data = ReadSmallFile(path, kMaxZoneFileBytes, error);
    if (!data) {
      Problem(f.path, "unknown time zone " + Quoted(name) + ": cannot read " + Quoted(path) + ": " + error +
                          " (is the tzdata package installed?)");
      return;
    }
    auto zone = core::TimeZone::FromTzif(name, *data);
    if (!zone) {
      Problem(f.path, "unknown time zone " + Quoted(name) + ": " + zone.error());
      return;
    }
    out.display_timezone = name;
    out.display_zone = std::move(zone).value();
  }

  void Metrics(const Field& f, MetricsSettings& out) {
    const Section s = Open(f.present ? f.node : YAML::Node(), "metrics", "metrics");
    const Field textfile = Get(s, "textfile");
    std::string path;
    if (ReadString(textfile, path)) {
      if (path.empty()) {
        Problem(textfile.path, "must not be empty (leave the key out to write no textfile)");
      } else if (path.back() == '/') {
        Problem(textfile.path, "must be a file, not a folder, got " + Quoted(path));
      } else {
        out.textfile = Resolve(path);
      }
    }
    const Field url = Get(s, "pushgateway_url");
    std::string u;
    if (ReadString(url, u)) {
      std::string_view rest = u;
      if (rest.rfind("http://", 0) == 0) {
        rest.remove_prefix(7);
      } else if (rest.rfind("https://", 0) == 0) {
        rest.remove_prefix(8);
      } else {
        rest = {};
      }
      const std::string_view host_port = rest.substr(0, rest.find('/'));
      if (rest.empty() || host_port.empty()) {
        Problem(url.path, "must be an http(s) URL like \"http://pushgateway:9091\", got " + Quoted(u));
      } else if (host_port.find('@') != std::string_view::npos) {
        // Credentials never go in the configuration file.
        Problem(url.path, "must not contain user information (\"user@\")");
      } else if (u.find_first_of("?# ") != std::string::npos) {
        Problem(url.path, "must not have a query, fragment or spaces, got " + Quoted(u));
      } else {
        while (!u.empty() && u.back() == '/') u.pop_back();
        out.pushgateway_url = u;
      }
    }
    const auto label = [&](const char* key, std::string& value) {
      const Field field = Get(s, key);
      std::string v;
      if (!ReadString(field, v)) return;
      if (!ValidUnreserved(field, v)) {
        Problem(field.path, UnreservedRule(field) + ", got " + Quoted(v));
      } else {
        value = v;
      }
    };
    label("job", out.job);
    label("instance", out.instance);
    ReadDuration(Get(s, "push_timeout"), out.push_timeout);
  }

  const Environment& env_;
  std::string base_dir_;
  bool read_secrets_;
  std::vector<std::string> problems_;
  std::vector<std::size_t> merchant_index_;  // the list position of each entry of `out`, for duplicate messages
};

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

Settings LoadYaml(std::string_view yaml, const Environment& env, const std::string& base_dir,
                  const std::string& where, bool read_secrets) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw ConfigError({where + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                       std::to_string(e.mark.column + 1) + ": " + e.msg});
  }
  Loader loader(env, base_dir, read_secrets);
  try {
    return loader.Run(root);
  } catch (const YAML::Exception& e) {
    // A yaml-cpp surprise (e.g. an alias cycle) is still a configuration problem, not a crash.
    throw ConfigError({where + ": " + e.msg});
  }
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(JoinLines(problems)), problems_(std::move(problems)) {}

Environment ProcessEnvironment() {
  return [](std::string_view name) { return env::GetEnv(name); };
}

Environment MapEnvironment(std::map<std::string, std::string, std::less<>> variables) {
  return [vars = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Settings Load(const std::string& path, const Environment& env, const LoadOptions& options) {
  const std::string where =
      "config file " + Quoted(path) + (options.origin.empty() ? std::string() : " (" + options.origin + ")");
  std::string error;
  // 1 MiB is far beyond any real configuration; the limit keeps a mistaken path (a log file) from being slurped.
  const std::optional<std::string> text = ReadSmallFile(path, 1 << 20, error);
  if (!text) throw ConfigError({where + ": cannot read: " + error});
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  return LoadYaml(*text, env, base_dir, where, options.read_secrets);
}

Settings LoadFromString(std::string_view yaml, const Environment& env, const std::string& base_dir,
                        const LoadOptions& options) {
  return LoadYaml(yaml, env, base_dir, "configuration", options.read_secrets);
}

}  // namespace payrecon::config
