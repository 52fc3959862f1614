// payrecon: the reconciliation job. Everything lives in jobs/app.cpp.
#include <iostream>
#include <string>
#include <vector>

#include "jobs/app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return payrecon::jobs::Main(args, std::cout);
}
