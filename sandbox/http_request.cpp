#include "sandbox/http_request.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace payrecon::sandbox::http {
namespace {

std::string HostWithoutPort(const std::string& host) {
  if (!host.empty() && host[0] == '[') {  // [::1]:8080
    const auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  const auto colon = host.find(':');
  if (colon != std::string::npos && host.find(':', colon + 1) == std::string::npos) return host.substr(0, colon);
  return host;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool ContainsNoCase(std::string_view text, std::string_view word) {
  if (word.size() > text.size()) return false;
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    if (EqualsNoCase(text.substr(i, word.size()), word)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}


// A chunked body starting at `in`: kDone with the body and the bytes it took, kNeedMore, or kBad / kTooLarge.
ParseState Dechunk(std::string_view in, std::string& body, std::size_t& consumed) {
  std::size_t pos = 0;
  body.clear();
  for (;;) {
    const auto eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) return in.size() - pos > 1024 ? ParseState::kBad : ParseState::kNeedMore;
    std::string_view line = in.substr(pos, eol - pos);
    if (const auto semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);  // extensions
    line = Trim(line);
    std::size_t size = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || ec != std::errc() || end != line.data() + line.size()) return ParseState::kBad;
    if (size > kMaxBody || body.size() + size > kMaxBody) return ParseState::kTooLarge;
    pos = eol + 2;
    if (size == 0) {
      for (;;) {  // trailers, up to the empty line
        const auto trailer_end = in.find("\r\n", pos);
        if (trailer_end == std::string_view::npos) return ParseState::kNeedMore;
        const bool empty = trailer_end == pos;
        pos = trailer_end + 2;
        if (empty) {
          consumed = pos;
          return ParseState::kDone;
        }
      }
    }
    if (in.size() < pos + size + 2) return ParseState::kNeedMore;
    if (in.substr(pos + size, 2) != "\r\n") return ParseState::kBad;
    body.append(in.substr(pos, size));
    pos += size + 2;
  }
}

}  // namespace

Parsed ParseRequest(std::string_view in, HttpRequest& req) {
  Parsed p;
  const auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    p.state = in.size() > kMaxHead ? ParseState::kTooLarge : ParseState::kNeedMore;
    return p;
  }
  if (head_end > kMaxHead) {
    p.state = ParseState::kTooLarge;
    return p;
  }
  p.head_done = true;
  p.state = ParseState::kBad;
  const std::string_view head = in.substr(0, head_end);
  auto eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? std::string_view::npos : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1) return p;
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return p;
  req = HttpRequest{};
  req.method = std::string(line.substr(0, sp1));
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));

  std::string_view connection;
  std::string_view content_length;
  bool chunked = false;
  while (eol != std::string_view::npos) {
    const auto start = eol + 2;
    eol = head.find("\r\n", start);
    const std::string_view field = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    const auto colon = field.find(':');
    if (colon == 0 || colon == std::string_view::npos) return p;
    const std::string_view raw_name = field.substr(0, colon);
    if (std::any_of(raw_name.begin(), raw_name.end(), [](char ch) { return ch == ' ' || ch == '\t'; })) return p;
    std::string name(field.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    const std::string_view value = Trim(field.substr(colon + 1));
    if (name == "connection") connection = value;
    if (name == "content-length") content_length = value;
    if (name == "transfer-encoding" && ContainsNoCase(value, "chunked")) chunked = true;
    if (name == "expect" && EqualsNoCase(value, "100-continue")) p.expect_continue = true;
    if (name == "host") req.host = HostWithoutPort(std::string(value));
    req.headers.emplace_back(std::move(name), std::string(value));
  }
  p.keep_alive = version == "HTTP/1.1" ? !EqualsNoCase(connection, "close") : EqualsNoCase(connection, "keep-alive");

  const std::string_view rest = in.substr(head_end + 4);
  std::size_t body_bytes = 0;
  if (chunked) {
    const ParseState s = Dechunk(rest, req.body, body_bytes);
    if (s != ParseState::kDone) {
      p.state = s;
      return p;
    }
  } else if (!content_length.empty()) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(content_length.data(), content_length.data() + content_length.size(), n);
    if (ec != std::errc() || end != content_length.data() + content_length.size()) return p;
    if (n > kMaxBody) {
      p.state = ParseState::kTooLarge;
      return p;
    }
    if (rest.size() < n) {
      p.state = ParseState::kNeedMore;
      return p;
    }
    req.body = std::string(rest.substr(0, n));
    body_bytes = n;
  }
  // Without a length or chunks a request has no body (a body-less POST must not wait for the client to close).
  p.state = ParseState::kDone;
  p.consumed = head_end + 4 + body_bytes;
  return p;
}


}  // namespace payrecon::sandbox::http
