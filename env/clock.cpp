#include "env/clock.h"

#include <chrono>

namespace payrecon::env {

core::Instant WallNow() { return std::chrono::floor<core::Millis>(std::chrono::system_clock::now()); }

}  // namespace payrecon::env
