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
    core::AppendJsonString(out, s);
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
    core::AppendJsonString(line, core::FormatIso8601Millis(ts));
    line += ",\"level\":\"";
    line += LogLevelName(level);
    line += "\",\"msg\":";
    core::AppendJsonString(line, message);
    if (!run_id.empty()) {
      line += ",\"run_id\":";
      core::AppendJsonString(line, run_id);
    }
    for (const auto& [key, value] : fields) {
      line += ',';
      core::AppendJsonString(line, key);
      line += ':';
      if (const auto* n = std::get_if<std::int64_t>(&value)) {
        line += std::to_string(*n);
      } else if (const auto* b = std::get_if<bool>(&value)) {
        line += *b ? "true" : "false";
      } else {
        core::AppendJsonString(line, std::get<std::string>(value));
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
