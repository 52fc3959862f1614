#pragma once
// Logs go to stderr, one line each: "2026-01-02T03:04:05.678Z payrecon info: message". Never log a secret:
// messages carry identifiers and causes only. Thread-safe.
#include <string_view>

namespace payrecon::jobs {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

void Log(LogLevel level, std::string_view message);
inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarn(std::string_view message) { Log(LogLevel::kWarn, message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, message); }

// Messages below this level are dropped (default kInfo).
void SetLogLevel(LogLevel level);

}  // namespace payrecon::jobs
