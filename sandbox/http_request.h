#pragma once
// Reading one HTTP/1.x request from the bytes a connection has received so far: the sandbox server's parser, kept
// apart from its sockets so that it can be fuzzed (tests/fuzz/sandbox_http_fuzz.cpp). Requests: HTTP/1.0 and 1.1,
// a body by Content-Length or by chunks (extensions and trailers skipped), none without either.
#include <cstddef>
#include <string_view>

#include "sandbox/sandbox.h"

namespace payrecon::sandbox::http {

// Limits of one request: its request line and headers, and its body.
inline constexpr std::size_t kMaxHead = 64 * 1024;
inline constexpr std::size_t kMaxBody = 8 * 1024 * 1024;

enum class ParseState {
  kNeedMore,  // not complete yet
  kDone,      // `req` holds the request, `consumed` its bytes
  kBad,       // malformed: answer 400 and close
  kTooLarge,  // over a limit: 431 (head) or 413 (body), and close
};

struct Parsed {
  ParseState state = ParseState::kNeedMore;
  std::size_t consumed = 0;      // bytes of `in` the request took (kDone)
  bool keep_alive = true;        // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "keep-alive"
  bool head_done = false;        // the request line and headers are in
  bool expect_continue = false;  // and they ask for "100 Continue" before the body
};

// The first request in `in`; `req` is filled when it is complete (header names lowercased, `host` without its
// port, path and query split at the first '?').
Parsed ParseRequest(std::string_view in, HttpRequest& req);

}  // namespace payrecon::sandbox::http
