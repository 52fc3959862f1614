#pragma once
// The wall clock, read in one place. Code that decides with time takes it as an argument (core/) or as an
// injected clock (the gateway client, the runner); this is the clock they are given outside tests.
#include "core/time.h"

namespace payrecon::env {

// The system clock (UTC), truncated to milliseconds.
core::Instant WallNow();

}  // namespace payrecon::env
