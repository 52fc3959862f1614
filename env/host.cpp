#include "env/host.h"

#include <unistd.h>

namespace payrecon::env {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace payrecon::env
