#pragma once
// Logs go to stderr, one line each: JSON objects when stderr is not a terminal (collectors parse them), readable
// text on a terminal; `--log-format` overrides. Every line carries the run id once a run has one. Never log a
// secret or an access token: messages and fields carry identifiers, counts and causes only. Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/time.h"

namespace payrecon::jobs {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

// Structured fields of a line: integers render as JSON numbers, text as JSON strings, booleans as true/false.
using LogValue = std::variant<std::int64_t, std::string, bool>;
using LogFields = std::vector<std::pair<std::string, LogValue>>;

void Log(LogLevel level, std::string_view message, const LogFields& fields = {});
inline void LogDebug(std::string_view message, const LogFields& fields = {}) { Log(LogLevel::kDebug, message, fields); }
inline void LogInfo(std::string_view message, const LogFields& fields = {}) { Log(LogLevel::kInfo, message, fields); }
inline void LogWarn(std::string_view message, const LogFields& fields = {}) { Log(LogLevel::kWarn, message, fields); }
inline void LogError(std::string_view message, const LogFields& fields = {}) { Log(LogLevel::kError, message, fields); }

// Lines below this level are dropped (default kInfo).
void SetLogLevel(LogLevel level);
// Default: kJson unless stderr is a terminal.
void SetLogFormat(LogFormat format);
LogFormat CurrentLogFormat();
// Every line from now on carries this run id ("" for none).
void SetLogRunId(std::string run_id);

// "debug", "info", "warn", "error" / "json", "text"; nullopt for anything else.
std::optional<LogLevel> LogLevelFromName(std::string_view name);
std::optional<LogFormat> LogFormatFromName(std::string_view name);
std::string_view LogLevelName(LogLevel level);

// One line, newline included. JSON: {"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"…","run_id":"…",
// fields…} (run_id left out when empty). Text: "2026-01-02T03:04:05.678Z payrecon info [run RUN_ID]: msg
// key=value …".
std::string FormatLogLine(LogFormat format, core::Instant ts, LogLevel level, std::string_view run_id,
                          std::string_view message, const LogFields& fields);

}  // namespace payrecon::jobs
