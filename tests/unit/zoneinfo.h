#pragma once
// Test helper: the bytes of a TZif file of the system's tz database (Debian package tzdata, installed by
// scripts/setup.sh). A missing file fails the test that asked.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>
#include <string>

inline std::string ReadZone(const std::string& name) {
  const std::string path = "/usr/share/zoneinfo/" + name;
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in.good(), path << " is missing: install Debian's tzdata (scripts/setup.sh does)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
