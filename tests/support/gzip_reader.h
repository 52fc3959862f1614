#pragma once
// Reads back the gzip'd CSV reports payrecon writes (reports.compress: gzip) for tests, strictly.
#include <string>
#include <string_view>

namespace payrecon::testing {

// The text of `data`, which must be exactly one complete gzip member: wrong magic, corrupt data, a bad CRC or
// length in the trailer, a truncated stream or bytes after it throw std::runtime_error saying which. Plain text
// is refused, not passed through (unlike zlib's gzread).
std::string Gunzip(std::string_view data);

// Gunzip of the whole file at `path`; a missing file throws too.
std::string ReadGzipFile(const std::string& path);

}  // namespace payrecon::testing
