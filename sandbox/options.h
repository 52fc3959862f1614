#pragma once
// payrecon-sandbox's command line.
#include <stdexcept>
#include <string>
#include <vector>

#include "sandbox/fault.h"
#include "sandbox/sandbox.h"
#include "sandbox/server.h"

namespace payrecon::sandbox {

struct CommandLine {
  std::string merchants_file;   // --merchants FILE (required)
  std::string scenario_file;    // --scenario FILE
  GlobalFaults faults;          // --faults JSON
  SandboxOptions sandbox;
  ServerOptions server;
  bool help = false;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws UsageError naming the flag.
CommandLine ParseCommandLine(const std::vector<std::string>& args);
extern const char* const kUsage;

}  // namespace payrecon::sandbox
