#pragma once
// The `payrecon` program: parses the command line, loads the configuration, runs the command and maps every
// run-ending failure to its exit code, in one place.
#include <iosfwd>
#include <string>
#include <vector>

namespace payrecon::jobs {

// argv[1..] in `args`. Results go to `out`, logs and errors to stderr.
int Main(const std::vector<std::string>& args, std::ostream& out);

}  // namespace payrecon::jobs
