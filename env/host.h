#pragma once
// The machine's name, as recorded with each run.
#include <string>

namespace payrecon::env {

// gethostname(2); empty when the system cannot say.
std::string HostName();

}  // namespace payrecon::env
