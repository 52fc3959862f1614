#pragma once
// Aligned plain-text tables for people at a terminal (`discrepancies list`, `show`).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace payrecon::jobs {

// UTF-8 code points (continuation bytes do not count): the width of a cell on a terminal, near enough.
std::size_t TextWidth(std::string_view s);

// Each row on its own line, columns padded to their widest cell plus two spaces, trailing spaces trimmed.
// Rows may be shorter than the first one (header); cells must already be single-line.
std::string AlignedTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace payrecon::jobs
