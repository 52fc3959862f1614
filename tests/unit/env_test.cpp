// env/: the clock, environment variables and atomic file replacement.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "env/clock.h"
#include "env/environment.h"
#include "env/files.h"
#include "env/host.h"
#include "tests/support/sandbox_process.h"

using namespace payrecon;

using payrecon::testing::ReadFile;

BOOST_AUTO_TEST_SUITE(env_effects)

BOOST_AUTO_TEST_CASE(wall_clock_is_the_system_clock_in_whole_milliseconds) {
  const auto before = std::chrono::floor<core::Millis>(std::chrono::system_clock::now());
  const core::Instant now = env::WallNow();
  const auto after = std::chrono::system_clock::now();
  BOOST_TEST((before <= now));
  BOOST_TEST((now <= after));
}

BOOST_AUTO_TEST_CASE(environment_variables_read_set_empty_and_unset) {
  BOOST_REQUIRE(::setenv("PAYRECON_ENV_TEST_SET", "value", 1) == 0);
  BOOST_REQUIRE(::setenv("PAYRECON_ENV_TEST_EMPTY", "", 1) == 0);
  BOOST_REQUIRE(::unsetenv("PAYRECON_ENV_TEST_UNSET") == 0);
  BOOST_TEST(env::GetEnv("PAYRECON_ENV_TEST_SET").value_or("<unset>") == "value");
  BOOST_TEST(env::GetEnv("PAYRECON_ENV_TEST_EMPTY").value_or("<unset>") == "");
  BOOST_TEST(!env::GetEnv("PAYRECON_ENV_TEST_UNSET").has_value());
}

BOOST_AUTO_TEST_CASE(host_name_is_the_kernels) {
  std::string expected = ReadFile("/proc/sys/kernel/hostname");
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  BOOST_TEST(env::HostName() == expected);
}

BOOST_AUTO_TEST_CASE(atomic_write_replaces_the_file_and_leaves_nothing_else) {
  const testing::TempDir dir;
  const std::string path = dir.path() + "/payrecon.prom";
  env::WriteFileAtomically(path, "first\n");
  env::WriteFileAtomically(path, "second\n");
  BOOST_TEST(ReadFile(path) == "second\n");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    BOOST_TEST(e.path().filename() == "payrecon.prom");
  }
  BOOST_TEST(files == 1);
}

// The mode is exact whatever the umask: index.html (0640) must not become world-readable under umask 0000.
BOOST_AUTO_TEST_CASE(atomic_write_gives_exactly_the_mode_asked_whatever_the_umask) {
  const testing::TempDir dir;
  const std::string path = dir.path() + "/index.html";
  const mode_t old = ::umask(0000);
  env::WriteFileAtomically(path, "<html>", 0640);
  ::umask(0077);
  env::WriteFileAtomically(dir.path() + "/payrecon.prom", "x", 0644);
  ::umask(old);
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0640u);
  BOOST_REQUIRE(::stat((dir.path() + "/payrecon.prom").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0644u);
}

BOOST_AUTO_TEST_CASE(atomic_write_into_a_missing_folder_names_it_and_the_reason) {
  const testing::TempDir dir;
  const std::string path = dir.path() + "/missing/payrecon.prom";
  try {
    env::WriteFileAtomically(path, "x");
    BOOST_FAIL("no exception");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.starts_with("cannot create \"" + dir.path() + "/missing/.payrecon.prom."));
    BOOST_TEST(what.ends_with(".tmp\": No such file or directory"));
  }
  BOOST_TEST(!std::filesystem::exists(dir.path() + "/missing"));
}

BOOST_AUTO_TEST_SUITE_END()
