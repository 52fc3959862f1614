// libFuzzer target for the sandbox server's request parser (sandbox::http::ParseRequest). Input: the bytes a
// connection received. Properties:
//   - nothing crashes;
//   - a complete request took at most the bytes given, and its body is within the limit;
//   - a complete request parses the same with more bytes after it (the next request's), and its first `consumed`
//     bytes alone give the same request;
//   - bytes that are not complete yet stay so (or turn into a decision) when fed with fewer bytes: a prefix of an
//     incomplete input is never complete;
//   - header names come out lowercase.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sandbox/http_request.h"

using payrecon::sandbox::HttpRequest;
using payrecon::sandbox::http::ParseRequest;
using payrecon::sandbox::http::Parsed;
using payrecon::sandbox::http::ParseState;

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "sandbox_http_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

bool Same(const HttpRequest& a, const HttpRequest& b) {
  return a.method == b.method && a.path == b.path && a.query == b.query && a.headers == b.headers &&
         a.body == b.body && a.host == b.host;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpRequest req;
  const Parsed p = ParseRequest(in, req);
  if (p.state == ParseState::kDone) {
    Require(p.consumed <= in.size(), "consumed more than given");
    Require(req.body.size() <= payrecon::sandbox::http::kMaxBody, "body over the limit");
    for (const auto& [name, value] : req.headers) {
      for (const char c : name) Require(!(c >= 'A' && c <= 'Z'), "header name not lowercase");
    }
    HttpRequest again;
    const Parsed with_more = ParseRequest(std::string(in) + "GET / HTTP/1.1\r\n\r\n", again);
    Require(with_more.state == ParseState::kDone && with_more.consumed == p.consumed && Same(req, again),
            "a complete request changed when more bytes followed");
    HttpRequest alone;
    const Parsed exact = ParseRequest(in.substr(0, p.consumed), alone);
    Require(exact.state == ParseState::kDone && exact.consumed == p.consumed && Same(req, alone),
            "a complete request changed when cut to its own bytes");
  }
  if (p.state == ParseState::kNeedMore && !in.empty()) {
    HttpRequest shorter;
    Require(ParseRequest(in.substr(0, in.size() / 2), shorter).state != ParseState::kDone,
            "a prefix of an incomplete request was complete");
  }
  return 0;
}
