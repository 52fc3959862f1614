// libFuzzer target for the gateway's HTTP response reader (net::wire::ResponseReader). Input: a flags byte
// (bit 0: the peer closes after the bytes, End(); the other bits: the body limit, 0 to 4064 bytes in steps of 32,
// so that every kind of body reaches it), three piece sizes (1 + byte % 13, used in turn), then the bytes of the
// connection. Properties:
//   - nothing crashes;
//   - the bytes fed whole, or in pieces of the sizes given, give the same state, status, error, flags, body,
//     headers, keep_alive and extra; so does the reader after Reset() fed the bytes again;
//   - the body never exceeds the limit (small here, so limits are reached);
//   - a complete response with a Content-Length (not 204 or 304) has a body of exactly that length;
//   - after End() the state is never kMore; an error has a message, a kept-alive connection has no error.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_wire.h"

using payrecon::net::wire::ResponseReader;

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "http_wire_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

// The names whose lookups are compared: the framing fields, the gateway's, and ones a mutation reaches easily.
constexpr std::array<std::string_view, 10> kNames = {
    "Content-Length", "transfer-encoding", "CONNECTION", "x-amz-signature", "X-Amz-Date",
    "x-amz-request-id", "Retry-After", "a", "A-b", ""};

struct Seen {
  ResponseReader::State state;
  int status;
  std::string error;
  bool started, truncated, any_bytes, keep_alive;
  std::size_t extra;
  std::optional<std::uint64_t> content_length;
  std::string body;
  std::array<std::optional<std::string>, kNames.size()> headers;

  bool operator==(const Seen&) const = default;
};

Seen Observe(const ResponseReader& r) {
  Seen s{r.state(), r.status(), r.error(), r.started(), r.truncated(), r.any_bytes(), r.keep_alive(), r.extra(),
         r.content_length(), r.body(), {}};
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (const auto v = r.Header(kNames[i])) {
      Require(v->empty() || (v->front() != ' ' && v->front() != '\t' && v->back() != ' ' && v->back() != '\t'),
              "a header value with surrounding blanks");
      s.headers[i] = std::string(*v);
    }
  }
  return s;
}

void CheckOne(const ResponseReader& r, std::size_t limit, bool ended) {
  using State = ResponseReader::State;
  Require(r.body().size() <= limit, "a body over the limit");
  Require((r.state() == State::kError) == !r.error().empty(), "an error without a message, or a message without one");
  Require(!r.truncated() || r.state() == State::kError, "truncated without an error");
  Require(!r.keep_alive() || r.state() != State::kError, "keep-alive after an error");
  Require(r.extra() == 0 || r.state() == State::kDone, "extra bytes without a complete response");
  Require(!ended || r.state() != State::kMore, "kMore after End()");
  if (r.state() == State::kDone) {
    Require(r.status() >= 200 && r.status() <= 599, "a complete response with an out-of-range status");
    if (r.content_length() && r.status() != 204 && r.status() != 304) {
      Require(r.body().size() == *r.content_length(), "a complete body not of its Content-Length");
    }
    if (r.status() == 204 || r.status() == 304) Require(r.body().empty(), "a body on a 204 or 304");
  }
  if (!r.any_bytes()) Require(!r.started(), "started without a byte");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const bool end = (data[0] & 1) != 0;
  const std::size_t limit = 32u * (data[0] >> 1);
  const std::array<std::size_t, 3> pieces = {1u + data[1] % 13u, 1u + data[2] % 13u, 1u + data[3] % 13u};
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 4, size - 4);

  ResponseReader whole(limit);
  whole.Feed(bytes);
  if (end) whole.End();
  CheckOne(whole, limit, end);
  const Seen expected = Observe(whole);

  ResponseReader split(limit);
  std::size_t at = 0;
  for (std::size_t k = 0; at < bytes.size(); ++k) {
    const std::size_t n = pieces[k % pieces.size()];
    const auto state = split.Feed(bytes.substr(at, n));
    Require(state == split.state(), "Feed's result differs from state()");
    at += n;
  }
  if (end) Require(split.End() == split.state(), "End's result differs from state()");
  CheckOne(split, limit, end);
  Require(Observe(split) == expected, "pieces read differently from the whole");

  // The same reader once more after Reset(): nothing of the first response stays.
  split.Reset();
  split.Feed(bytes);
  if (end) split.End();
  Require(Observe(split) == expected, "a reset reader reads differently");
  return 0;
}
