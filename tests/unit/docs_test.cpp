// The repository stands alone and keeps the shape its README describes: every Markdown document a tracked file
// cites exists in the repository, every section a citation names ("docs/amazon-pay-protocol.md §1.4") is a numbered
// heading of that document, and no folder includes a folder the README's Layout section says it must not.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = PAYRECON_SOURCE_DIR;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Tracked files, relative to the root: `git ls-files` when the source is a git checkout; otherwise every file
// outside hidden folders and build trees (a folder holding CMakeCache.txt).
std::vector<std::string> SourceFiles() {
  std::vector<std::string> files;
  const std::string command = "git -C '" + kRoot.string() + "' ls-files -z 2>/dev/null";
  if (FILE* pipe = popen(command.c_str(), "r")) {
    std::string out;
    char buffer[65536];
    std::size_t n = 0;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    if (pclose(pipe) == 0) {
      std::size_t start = 0;
      for (std::size_t end; (end = out.find('\0', start)) != std::string::npos; start = end + 1) {
        files.push_back(out.substr(start, end - start));
      }
      if (!files.empty()) return files;
    }
  }
  for (auto it = fs::recursive_directory_iterator(kRoot); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& p = it->path();
    if (it->is_directory() && (p.filename().string().starts_with(".") || fs::exists(p / "CMakeCache.txt"))) {
      it.disable_recursion_pending();
    } else if (it->is_regular_file()) {
      files.push_back(fs::relative(p, kRoot).generic_string());
    }
  }
  return files;
}

// The numbered headings of a Markdown document: "## 3. Get Status" gives "3", "### 1.4 The signature" "1.4".
std::set<std::string> Sections(const std::string& markdown) {
  std::set<std::string> sections;
  static const std::regex kHeading(R"(^#{2,4} (\d+(?:\.\d+)*)\.? )");
  std::istringstream in(markdown);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, kHeading)) sections.insert(m[1]);
  }
  return sections;
}

struct Citation {
  std::string document;               // as written: "docs/amazon-pay-protocol.md", "README.md"
  std::vector<std::string> sections;  // "§1.4, §2" and "§1-2" after it
};

// Citations of Markdown documents in one file's text. URLs are not citations.
std::vector<Citation> Citations(const std::string& text) {
  std::vector<Citation> out;
  static const std::regex kDocument(R"([A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b)");
  static const std::regex kSectionList(R"(^\)?\s*(§\d+(?:\.\d+)*(?:-\d+(?:\.\d+)*)?(?:,\s*§\d+(?:\.\d+)*)*))");
  static const std::regex kSection(R"(\d+(?:\.\d+)*)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kDocument); it != std::sregex_iterator(); ++it) {
    const auto pos = static_cast<std::size_t>(it->position());
    if (pos > 0 && text[pos - 1] == ':') continue;
    std::string document = it->str();
    if (document.starts_with("//")) continue;
    Citation c{document, {}};
    const std::string rest = text.substr(pos + document.size(), 80);
    std::smatch list;
    if (std::regex_search(rest, list, kSectionList)) {
      const std::string s = list[1];
      for (auto n = std::sregex_iterator(s.begin(), s.end(), kSection); n != std::sregex_iterator(); ++n) {
        c.sections.push_back(n->str());
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// Where a citation in `from` points: the root-relative path of an existing tracked document, or "".
std::string Resolve(const std::string& document, const std::string& from, const std::set<std::string>& tracked) {
  const fs::path written(document);
  for (const fs::path& base : {fs::path(), fs::path(from).parent_path()}) {
    const std::string candidate = (base / written).lexically_normal().generic_string();
    if (tracked.count(candidate) != 0) return candidate;
  }
  // A bare name or a path climbing out of a build or test folder ("../../README.md"): any tracked file of that name.
  bool climbs_only = true;
  for (const fs::path& part : written.parent_path()) {
    climbs_only = climbs_only && (part == ".." || part == "." || part == "/");
  }
  if (climbs_only) {
    for (const std::string& t : tracked) {
      if (fs::path(t).filename() == written.filename()) return t;
    }
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(docs)

BOOST_AUTO_TEST_CASE(citation_reader_finds_documents_and_sections) {
  const std::string md = ".md";
  const auto found = Citations("see docs/x" + md + " §1.4, §2 and (NOTES" + md + " §3-4) and https://h/y" + md +
                               " and a bare `" + md + "`");
  BOOST_REQUIRE(found.size() == 2u);
  BOOST_TEST(found[0].document == "docs/x" + md);
  BOOST_TEST(found[0].sections == (std::vector<std::string>{"1.4", "2"}), boost::test_tools::per_element());
  BOOST_TEST(found[1].document == "NOTES" + md);
  BOOST_TEST(found[1].sections == (std::vector<std::string>{"3", "4"}), boost::test_tools::per_element());
  BOOST_TEST(Sections("## 1. Signing\n### 1.4 The signature\n#### not numbered\n") ==
                 (std::set<std::string>{"1", "1.4"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_cited_document_is_in_the_repository) {
  const std::vector<std::string> files = SourceFiles();
  BOOST_REQUIRE_MESSAGE(!files.empty(), "no source files under " << kRoot);
  const std::set<std::string> tracked(files.begin(), files.end());
  BOOST_REQUIRE(tracked.count("docs/amazon-pay-protocol.md") == 1u);
  int citations = 0;
  for (const std::string& file : files) {
    const std::string text = Slurp(kRoot / file);
    if (text.find('\0') != std::string::npos) continue;  // binary: images, fuzz corpus entries
    for (const Citation& c : Citations(text)) {
      ++citations;
      const std::string target = Resolve(c.document, file, tracked);
      BOOST_TEST(!target.empty(), file << " cites '" << c.document << "', which is not in the repository");
      if (target.empty() || c.sections.empty()) continue;
      const std::set<std::string> sections = Sections(Slurp(kRoot / target));
      for (const std::string& s : c.sections) {
        BOOST_TEST(sections.count(s) == 1u,
                   file << " cites " << c.document << " §" << s << ", which has no such section");
      }
    }
  }
  BOOST_TEST(citations > 20);  // the protocol document is cited from the gateway, core, config and sandbox
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(layout)

// The dependency rules of the README's Layout section, as the folders each folder must not include. Written as
// prohibitions rather than permissions so that a new folder needs no entry until it has a rule of its own.
BOOST_AUTO_TEST_CASE(folders_include_only_what_the_layout_allows) {
  const std::map<std::string, std::set<std::string>> kForbidden = {
      {"env", {"engine", "signing", "gateway", "sandbox", "db", "config", "jobs"}},
      {"net", {"env", "engine", "signing", "gateway", "sandbox", "db", "config", "jobs"}},
      {"engine", {"env", "net", "signing", "gateway", "sandbox", "db", "config", "jobs"}},
      {"signing", {"env", "engine", "gateway", "sandbox", "db", "config", "jobs"}},
      {"gateway", {"engine", "sandbox", "db", "config", "jobs"}},
      {"sandbox", {"engine", "gateway", "db", "config", "jobs", "net"}},
      {"db", {"engine", "signing", "gateway", "sandbox", "config", "jobs", "net"}},
      {"config", {"engine", "signing", "gateway", "sandbox", "db", "jobs", "net"}},
  };
  static const std::regex kProjectInclude(R"(^\s*#\s*include\s+"([a-z_]+)/[^"]+")");
  static const std::regex kThirdPartyInclude(
      R"(^\s*#\s*include\s+<(Poco/|libpq|postgresql/|yaml-cpp/|boost/|openssl/))");
  int checked = 0;
  for (const std::string& file : SourceFiles()) {
    const auto slash = file.find('/');
    if (slash == std::string::npos || !(file.ends_with(".h") || file.ends_with(".cpp"))) continue;
    const std::string folder = file.substr(0, slash);
    ++checked;
    std::istringstream in(Slurp(kRoot / file));
    for (std::string line; std::getline(in, line);) {
      if (line.find("include") == std::string::npos) continue;
      std::smatch m;
      if (folder == "core" && std::regex_search(line, m, kThirdPartyInclude)) {
        BOOST_ERROR(file << ": '" << line << "': core/ is the C++ standard library only");
      }
      if (!std::regex_search(line, m, kProjectInclude)) continue;
      const std::string target = m[1];
      if (folder == "core") {
        BOOST_TEST(target == "core", file << ": '" << line << "': core/ depends on nothing but itself");
      } else if (const auto rule = kForbidden.find(folder); rule != kForbidden.end()) {
        BOOST_TEST(rule->second.count(target) == 0u, file << ": '" << line << "' is against the layout");
      } else if (folder != "jobs" && folder != "tests" && folder != "bench") {
        BOOST_TEST(target != "jobs", file << ": '" << line << "': nothing depends on jobs/");
      }
    }
  }
  BOOST_TEST(checked > 100);
}

BOOST_AUTO_TEST_SUITE_END()
