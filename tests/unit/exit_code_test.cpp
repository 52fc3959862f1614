// The exit codes: one table (core/exit_code.h) that the README's tables mirror, and one mapping from the exception
// that ends a command to its code (jobs::ExitReasonOf).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <new>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "config/load.h"
#include "core/exit_code.h"
#include "core/ports.h"
#include "gateway/options.h"
#include "jobs/cli.h"
#include "jobs/exit_code.h"

namespace {

using payrecon::core::ExitCode;
using payrecon::core::kExitCodes;

std::string Readme() {
  std::ifstream in(std::filesystem::path(PAYRECON_SOURCE_DIR) / "README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The codes in the first column of the first Markdown table after the line that starts with `heading`.
std::set<int> TableCodes(const std::string& readme, const std::string& heading) {
  const std::size_t at = readme.find("\n" + heading);
  BOOST_TEST_REQUIRE(at != std::string::npos, "README has no line \"" << heading << "\"");
  std::istringstream lines(readme.substr(at + 1));
  std::set<int> codes;
  std::string line;
  bool in_table = false;
  const std::regex row(R"(^\| *([0-9]+) *\|.*)");
  while (std::getline(lines, line)) {
    if (line.rfind("|", 0) != 0) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    std::smatch m;
    if (std::regex_match(line, m, row)) codes.insert(std::stoi(m[1]));
  }
  return codes;
}

std::set<int> ProgramCodes(bool sandbox) {
  std::set<int> codes;
  for (const auto& e : kExitCodes) {
    if (sandbox ? e.sandbox : e.payrecon) codes.insert(payrecon::core::ToInt(e.code));
  }
  return codes;
}

template <class E>
ExitCode CodeOf(const E& error) {
  return payrecon::jobs::ExitReasonOf(std::make_exception_ptr(error)).code;
}

}  // namespace

BOOST_AUTO_TEST_CASE(readme_exit_code_tables_match_the_table) {
  const std::string readme = Readme();
  const std::set<int> payrecon = ProgramCodes(false);
  BOOST_TEST(TableCodes(readme, "**Exit codes** (their alerts") == payrecon);
  BOOST_TEST(TableCodes(readme, "**Exit codes and their alerts:**") == payrecon);
  // The sandbox's codes are one sentence: "Exit codes: 0 clean stop, 1 cannot serve (...), 2 bad flags, ...".
  const std::regex sentence(R"(\nExit codes: ([^\n]*))");
  std::smatch m;
  BOOST_TEST_REQUIRE(std::regex_search(readme, m, sentence));
  std::set<int> sandbox;
  const std::string text = m[1];
  const std::regex code(R"((?:^|, )([0-9]+) )");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), code); it != std::sregex_iterator(); ++it) {
    sandbox.insert(std::stoi((*it)[1]));
  }
  BOOST_TEST(sandbox == ProgramCodes(true));
}

BOOST_AUTO_TEST_CASE(table_names_are_unique_and_every_code_serves_a_program) {
  std::set<std::string_view> names;
  for (const auto& e : kExitCodes) {
    BOOST_TEST(names.insert(e.name).second, e.name);
    BOOST_TEST((e.payrecon || e.sandbox), e.name);
    BOOST_TEST(!e.meaning.empty());
  }
  // Within one program a code has one meaning.
  for (bool sandbox : {false, true}) {
    std::size_t n = 0;
    for (const auto& e : kExitCodes) n += (sandbox ? e.sandbox : e.payrecon) ? 1 : 0;
    BOOST_TEST(ProgramCodes(sandbox).size() == n);
  }
}

BOOST_AUTO_TEST_CASE(exceptions_map_to_their_codes) {
  using payrecon::jobs::JobError;
  BOOST_TEST(payrecon::core::ToInt(CodeOf(JobError(ExitCode::kReports, "x"))) == 5);
  BOOST_TEST(payrecon::core::ToInt(CodeOf(payrecon::config::ConfigError({"worker.lease: bad"}))) == 2);
  BOOST_TEST(payrecon::core::ToInt(CodeOf(payrecon::gateway::InvalidOptions("bad"))) == 2);
  BOOST_TEST(payrecon::core::ToInt(CodeOf(payrecon::core::StoreUnavailable("down"))) == 3);
  BOOST_TEST(payrecon::core::ToInt(CodeOf(std::bad_alloc())) == 70);
  BOOST_TEST(payrecon::core::ToInt(CodeOf(std::runtime_error("bug"))) == 70);
  BOOST_TEST(payrecon::core::ToInt(payrecon::jobs::ExitReasonOf(std::make_exception_ptr(42)).code) == 70);
  const auto config = payrecon::jobs::ExitReasonOf(
      std::make_exception_ptr(payrecon::config::ConfigError({"worker.lease: bad", "worker.in_flight: bad"})));
  BOOST_TEST(config.configuration);
  BOOST_TEST(!config.names_file);
  BOOST_TEST(config.lines.size() == 2u);
  BOOST_TEST(config.lines[0] == "configuration: worker.lease: bad");
  const auto database =
      payrecon::jobs::ExitReasonOf(std::make_exception_ptr(payrecon::core::StoreUnavailable("connection refused")));
  BOOST_TEST(database.lines.at(0) == "database: connection refused");
}
