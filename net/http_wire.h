#pragma once
// HTTP/1.1 on the wire for the gateway client: writing one request and reading one response, over bytes only (the
// socket is the client's). The client sends one request per connection at a time, so there is no pipelining.
// payrecon-sandbox does not use it: its server reads HTTP with Poco, so the two ends of the protocol do not share
// one parser's mistakes.
//
// Written here rather than through Poco's HTTPRequest/HTTPResponse streams: those cost about a fifth of payrecon's
// CPU per check (a std::map per message, an ostream per header, a virtual call per byte read), more than signing
// and verifying together. Everything the gateway does not need is refused rather than half supported.
//
// Framing: Content-Length, or Transfer-Encoding "chunked" alone (any other coding is refused), or the body runs
// until the peer closes.
//
// Limits (a response beyond them is refused, not truncated silently): 100 header fields, a name of 256 bytes, a
// value of 8 KiB, a header section of 64 KiB, and the body limit the caller gives.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payrecon::net::wire {

inline constexpr std::size_t kMaxHeaderFields = 100;
inline constexpr std::size_t kMaxHeaderName = 256;
inline constexpr std::size_t kMaxHeaderValue = 8192;
inline constexpr std::size_t kMaxHeaderSection = 64 * 1024;

// The Host header value: the host ("[...]" around an IPv6 literal) and ":port" unless it is 80 or 443.
std::string HostHeader(std::string_view host, std::uint16_t port);

// Appends "METHOD target HTTP/1.1", Host, the headers in order, Content-Length when `body` is not empty (or the
// method is POST), the blank line and the body. Names and values are written as given: the caller's values come
// from the configuration and the signer, and must not hold CR or LF (AppendRequest refuses them with
// std::invalid_argument rather than let a value split the header).
void AppendRequest(std::string& out, std::string_view method, std::string_view target, std::string_view host_header,
                   const std::vector<std::pair<std::string_view, std::string_view>>& headers, std::string_view body);

// Reads one response from the bytes of a connection, fed as they arrive.
class ResponseReader {
 public:
  enum class State {
    kMore,   // feed more bytes (or End() when the peer closed)
    kDone,   // the whole response is read
    kError,  // see error() and error_in_body()
  };

  explicit ResponseReader(std::size_t max_body);

  // Starts over for the next response (keeps its buffers' capacity).
  void Reset();
  // Consumes `bytes`; returns the state after them. Bytes past the end of the response are counted in extra().
  State Feed(std::string_view bytes);
  // The peer closed the connection: a body without a length ends here; anything else short of its end is an error.
  State End();

  State state() const { return state_; }
  // Why the response was refused; empty unless kError.
  const std::string& error() const { return error_; }
  // Whether the status line had been read when the error happened (the response had started).
  bool started() const { return status_ != 0; }
  // The body ended short of its length or exceeded the limit: the error is a truncation, not a framing problem.
  // A body over the limit holds the bytes up to the limit (or, chunked, the chunks before the one that exceeds it).
  bool truncated() const { return truncated_; }
  // Any byte at all arrived.
  bool any_bytes() const { return any_bytes_; }

  int status() const { return status_; }
  // The value of the first field named `name` (ASCII case-insensitive), without surrounding blanks.
  std::optional<std::string_view> Header(std::string_view name) const;
  const std::string& body() const { return body_; }
  std::string& body() { return body_; }
  // The declared Content-Length, when there was one.
  std::optional<std::uint64_t> content_length() const { return content_length_; }
  // Whether the connection may carry the next request: HTTP/1.1 without "close" in any Connection field (1.0 only
  // with keep-alive and without close), a body delimited by length or chunks, and nothing sent past the response.
  bool keep_alive() const { return keep_alive_ && extra_ == 0; }
  std::size_t extra() const { return extra_; }

 private:
  enum class Phase { kStatus, kHeaders, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kUntilClose, kDone };

  State Fail(std::string message, bool truncated = false);
  // Handles one complete line (without its CRLF) of the status line, header or chunk phases.
  State Line(std::string_view line);
  State HeadersDone();
  State AppendBody(std::string_view bytes);

  const std::size_t max_body_;
  State state_ = State::kMore;
  Phase phase_ = Phase::kStatus;
  std::string error_;
  bool truncated_ = false;
  bool any_bytes_ = false;
  int status_ = 0;
  int minor_version_ = 1;
  std::string line_;   // a line being assembled across Feed calls
  std::string head_;   // the header fields' text; fields_ index into it
  struct Field {
    std::size_t name_at, name_size, value_at, value_size;
  };
  std::vector<Field> fields_;
  std::size_t head_bytes_ = 0;  // status line and fields, for the section limit
  std::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool keep_alive_ = true;
  std::uint64_t remaining_ = 0;  // of the body (Content-Length) or of the current chunk
  std::string body_;
  std::size_t extra_ = 0;
};

}  // namespace payrecon::net::wire
