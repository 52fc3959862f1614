#include "jobs/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/json.h"
#include "env/clock.h"

namespace payrecon::jobs {

namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<int> g_format{-1};  // -1: not chosen yet, decided from isatty on first use
std::mutex g_mu;
std::string g_run_id;  // guarded by g_mu

LogFormat EffectiveFormat() {
  int f = g_format.load();
  if (f < 0) {
    f = ::isatty(STDERR_FILENO) == 1 ? static_cast<int>(LogFormat::kText) : static_cast<int>(LogFormat::kJson);
    int expected = -1;
    g_format.compare_exchange_strong(expected, f);
    f = g_format.load();
  }
  return static_cast<LogFormat>(f);
}

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), or 0 when it is not one.
std::size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return n;
}

// A JSON string whatever the bytes: a log message may carry raw bytes from an input file, and one byte that is
// not part of well-formed UTF-8 would make the whole line unreadable to a collector. Each such byte becomes
// U+FFFD (written as the escape \ufffd); well-formed UTF-8 passes unchanged, control characters are escaped.
void AppendJsonText(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;  // start of the pending stretch of bytes copied as they are
  const auto copy_run = [&](std::size_t end) { out.append(s.substr(run, end - run)); };
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (const std::size_t n = Utf8SequenceLength(s.substr(i)); n > 0) {
        i += n;
        continue;
      }
      copy_run(i);
      out += "\\ufffd";
    } else {
      copy_run(i);
      static constexpr char kHex[] = "0123456789abcdef";
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0x0f];
      }
    }
    run = ++i;
  }
  copy_run(s.size());
  out += '"';
}

// Text values with spaces or quotes are quoted so a line stays splittable on spaces.
void AppendTextValue(std::string& out, const LogValue& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) {
    out += std::to_string(*n);
    return;
  }
  if (const auto* b = std::get_if<bool>(&v)) {
    out += *b ? "true" : "false";
    return;
  }
  const std::string& s = std::get<std::string>(v);
  if (!s.empty() && s.find_first_of(" \"=\t\n") == std::string::npos) {
    out += s;
  } else {
    AppendJsonText(out, s);
  }
}
}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "?";
}

std::optional<LogLevel> LogLevelFromName(std::string_view name) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (LogLevelName(l) == name) return l;
  }
  return std::nullopt;
}

std::optional<LogFormat> LogFormatFromName(std::string_view name) {
  if (name == "json") return LogFormat::kJson;
  if (name == "text") return LogFormat::kText;
  return std::nullopt;
}

void SetLogLevel(LogLevel level) { g_level = level; }
void SetLogFormat(LogFormat format) { g_format = static_cast<int>(format); }
LogFormat CurrentLogFormat() { return EffectiveFormat(); }

void SetLogRunId(std::string run_id) {
  std::lock_guard lock(g_mu);
  g_run_id = std::move(run_id);
}

std::string FormatLogLine(LogFormat format, core::Instant ts, LogLevel level, std::string_view run_id,
                          std::string_view message, const LogFields& fields) {
  std::string line;
  if (format == LogFormat::kJson) {
    line = "{\"ts\":";
    AppendJsonText(line, core::FormatIso8601Millis(ts));
    line += ",\"level\":\"";
    line += LogLevelName(level);
    line += "\",\"msg\":";
    AppendJsonText(line, message);
    if (!run_id.empty()) {
      line += ",\"run_id\":";
      AppendJsonText(line, run_id);
    }
    for (const auto& [key, value] : fields) {
      line += ',';
      AppendJsonText(line, key);
      line += ':';
      if (const auto* n = std::get_if<std::int64_t>(&value)) {
        line += std::to_string(*n);
      } else if (const auto* b = std::get_if<bool>(&value)) {
        line += *b ? "true" : "false";
      } else {
        AppendJsonText(line, std::get<std::string>(value));
      }
    }
    line += "}\n";
    return line;
  }
  line = core::FormatIso8601Millis(ts);
  line += " payrecon ";
  line += LogLevelName(level);
  if (!run_id.empty()) {
    line += " [run ";
    line += run_id;
    line += ']';
  }
  line += ": ";
  line += message;
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    AppendTextValue(line, value);
  }
  line += '\n';
  return line;
}

void Log(LogLevel level, std::string_view message, const LogFields& fields) {
  if (level < g_level.load()) return;
  const core::Instant now = env::WallNow();
  const LogFormat format = EffectiveFormat();
  std::lock_guard lock(g_mu);
  const std::string line = FormatLogLine(format, now, level, g_run_id, message, fields);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace payrecon::jobs
