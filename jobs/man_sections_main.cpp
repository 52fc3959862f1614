// payrecon-man-sections: a build tool, not installed. Prints the man page's COMMANDS section from the command
// table as a help2man include file (jobs/CMakeLists.txt feeds it to help2man with `payrecon --help`).
#include <iostream>

#include "jobs/cli.h"

int main() {
  std::cout << payrecon::jobs::ManCommandsSection();
  return std::cout.good() ? 0 : 1;
}
