#include "net/http_wire.h"

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace payrecon::net::wire {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// A header name's characters (RFC 9110 token).
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.': case '^':
    case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// Whether the comma-separated list `value` holds `token` (case-insensitive).
bool ListHas(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (EqualsNoCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// The one non-empty element of a comma-separated list, trimmed; empty when there are none or several.
std::string_view OnlyElement(std::string_view value) {
  std::string_view only;
  int count = 0;
  while (true) {
    const auto comma = value.find(',');
    const std::string_view element = Trim(value.substr(0, comma));
    if (!element.empty()) {
      only = element;
      ++count;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return count == 1 ? only : std::string_view();
}

// Two memchr scans rather than find_first_of, which searches its set once per byte of s.
bool HasLineBreak(std::string_view s) {
  return !s.empty() &&
         (std::memchr(s.data(), '\r', s.size()) != nullptr || std::memchr(s.data(), '\n', s.size()) != nullptr);
}

constexpr std::size_t kMaxChunkLine = 1024;

}  // namespace

std::string HostHeader(std::string_view host, std::uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  if (port != 80 && port != 443) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

void AppendRequest(std::string& out, std::string_view method, std::string_view target, std::string_view host_header,
                   const std::vector<std::pair<std::string_view, std::string_view>>& headers, std::string_view body) {
  if (HasLineBreak(method) || HasLineBreak(target) || HasLineBreak(host_header)) {
    throw std::invalid_argument("HTTP request line or Host holds a line break");
  }
  // All checked before the first byte is appended: a refused request leaves `out` as it was.
  for (const auto& [name, value] : headers) {
    if (HasLineBreak(name) || HasLineBreak(value)) {
      throw std::invalid_argument("HTTP header '" + std::string(name.substr(0, 64)) + "' holds a line break");
    }
  }
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += host_header;
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!body.empty() || method == "POST") {
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
}

ResponseReader::ResponseReader(std::size_t max_body) : max_body_(max_body) {}

void ResponseReader::Reset() {
  state_ = State::kMore;
  phase_ = Phase::kStatus;
  error_.clear();
  truncated_ = false;
  any_bytes_ = false;
  status_ = 0;
  minor_version_ = 1;
  line_.clear();
  head_.clear();
  fields_.clear();
  head_bytes_ = 0;
  content_length_.reset();
  chunked_ = false;
  keep_alive_ = true;
  remaining_ = 0;
  body_.clear();
  extra_ = 0;
}

ResponseReader::State ResponseReader::Fail(std::string message, bool truncated) {
  error_ = std::move(message);
  truncated_ = truncated;
  keep_alive_ = false;
  state_ = State::kError;
  return state_;
}

std::optional<std::string_view> ResponseReader::Header(std::string_view name) const {
  for (const Field& f : fields_) {
    if (EqualsNoCase(std::string_view(head_).substr(f.name_at, f.name_size), name)) {
      return std::string_view(head_).substr(f.value_at, f.value_size);
    }
  }
  return std::nullopt;
}

ResponseReader::State ResponseReader::AppendBody(std::string_view bytes) {
  if (body_.size() + bytes.size() > max_body_) {
    // Filled up to the limit first, so the refused body is the same however the bytes arrived.
    body_.append(bytes.substr(0, max_body_ - body_.size()));
    return Fail("response body exceeds " + std::to_string(max_body_) + " bytes", true);
  }
  body_.append(bytes);
  return state_;
}

ResponseReader::State ResponseReader::Feed(std::string_view bytes) {
  if (!bytes.empty()) any_bytes_ = true;
  std::size_t i = 0;
  while (i < bytes.size() && state_ == State::kMore) {
    switch (phase_) {
      case Phase::kStatus:
      case Phase::kHeaders:
      case Phase::kChunkSize:
      case Phase::kChunkDataEnd:
      case Phase::kTrailers: {
        const auto nl = bytes.find('\n', i);
        const std::size_t end = nl == std::string_view::npos ? bytes.size() : nl;
        line_.append(bytes.substr(i, end - i));
        i = nl == std::string_view::npos ? bytes.size() : nl + 1;
        const bool in_head = phase_ == Phase::kStatus || phase_ == Phase::kHeaders || phase_ == Phase::kTrailers;
        if (in_head && head_bytes_ + line_.size() > kMaxHeaderSection) {
          return Fail("header section exceeds " + std::to_string(kMaxHeaderSection) + " bytes");
        }
        // After a chunk's data only its CRLF may follow; a byte more is the chunk running past its size.
        if (phase_ == Phase::kChunkDataEnd && !line_.empty() && (line_.size() > 1 || line_[0] != '\r')) {
          return Fail("chunk data longer than its size");
        }
        if (!in_head && line_.size() > kMaxChunkLine) return Fail("chunk size line exceeds 1024 bytes");
        if (nl == std::string_view::npos) break;
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        head_bytes_ += in_head ? line_.size() + 2 : 0;
        Line(line_);
        line_.clear();
        break;
      }
      case Phase::kBody:
      case Phase::kChunkData: {
        const std::size_t n = static_cast<std::size_t>(
            std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(bytes.size() - i)));
        if (AppendBody(bytes.substr(i, n)) != State::kMore) break;
        i += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          if (phase_ == Phase::kBody) {
            phase_ = Phase::kDone;
            state_ = State::kDone;
          } else {
            phase_ = Phase::kChunkDataEnd;
          }
        }
        break;
      }
      case Phase::kUntilClose:
        AppendBody(bytes.substr(i));
        i = bytes.size();
        break;
      case Phase::kDone:
        state_ = State::kDone;
        break;
    }
  }
  if (state_ == State::kDone) extra_ += bytes.size() - i;
  return state_;
}

ResponseReader::State ResponseReader::End() {
  if (state_ != State::kMore) return state_;
  switch (phase_) {
    case Phase::kUntilClose:
      phase_ = Phase::kDone;
      state_ = State::kDone;
      keep_alive_ = false;
      return state_;
    case Phase::kBody:
      return Fail("response body truncated after " + std::to_string(body_.size()) + " of " +
                      std::to_string(*content_length_) + " bytes",
                  true);
    case Phase::kChunkSize:
    case Phase::kChunkData:
    case Phase::kChunkDataEnd:
    case Phase::kTrailers:
      return Fail("response body truncated after " + std::to_string(body_.size()) +
                      " bytes: the connection closed before the last chunk",
                  true);
    case Phase::kStatus:
      if (!any_bytes_) return Fail("connection closed before a response");
      // Bytes came and none of a status line is pending: they were interim answers (100 Continue), all read.
      if (line_.empty()) return Fail("connection closed after an interim response");
      return Fail("connection closed inside the status line");
    case Phase::kHeaders:
      return Fail("connection closed inside the response headers");
    case Phase::kDone:
      break;
  }
  return state_;
}

ResponseReader::State ResponseReader::Line(std::string_view line) {
  switch (phase_) {
    case Phase::kStatus: {
      // "HTTP/1.x SSS[ reason]"
      if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ' ||
          (line.size() > 12 && line[12] != ' ')) {
        return Fail("malformed status line");
      }
      int status = 0;
      for (std::size_t k = 9; k < 12; ++k) {
        if (line[k] < '0' || line[k] > '9') return Fail("malformed status line");
        status = status * 10 + (line[k] - '0');
      }
      if (status < 100 || status > 599) return Fail("status " + std::to_string(status) + " out of range");
      if (status == 101) return Fail("unexpected 101 Switching Protocols");
      status_ = status;
      minor_version_ = line[7] - '0';
      phase_ = Phase::kHeaders;
      return state_;
    }
    case Phase::kHeaders: {
      if (line.empty()) return HeadersDone();
      if (IsBlank(line.front())) return Fail("folded header line");
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return Fail("malformed header line");
      const std::string_view name = line.substr(0, colon);
      for (char c : name) {
        if (!IsTokenChar(c)) return Fail("malformed header name");
      }
      const std::string_view value = Trim(line.substr(colon + 1));
      if (name.size() > kMaxHeaderName) return Fail("header name exceeds " + std::to_string(kMaxHeaderName) + " bytes");
      if (value.size() > kMaxHeaderValue) {
        return Fail("header '" + std::string(name) + "' exceeds " + std::to_string(kMaxHeaderValue) + " bytes");
      }
      if (fields_.size() == kMaxHeaderFields) {
        return Fail("more than " + std::to_string(kMaxHeaderFields) + " header fields");
      }
      Field f{head_.size(), name.size(), 0, value.size()};
      head_ += name;
      f.value_at = head_.size();
      head_ += value;
      fields_.push_back(f);
      return state_;
    }
    case Phase::kChunkSize: {
      std::string_view size_text = line.substr(0, line.find(';'));
      size_text = Trim(size_text);
      std::uint64_t size = 0;
      const auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
      if (size_text.empty() || size_text.size() > 15 || ec != std::errc() ||
          end != size_text.data() + size_text.size()) {
        return Fail("bad chunk size");
      }
      if (size == 0) {
        phase_ = Phase::kTrailers;
        return state_;
      }
      if (body_.size() + size > max_body_) {
        return Fail("response body exceeds " + std::to_string(max_body_) + " bytes", true);
      }
      remaining_ = size;
      phase_ = Phase::kChunkData;
      return state_;
    }
    case Phase::kChunkDataEnd:
      if (!line.empty()) return Fail("chunk data longer than its size");
      phase_ = Phase::kChunkSize;
      return state_;
    case Phase::kTrailers:
      if (line.empty()) {
        phase_ = Phase::kDone;
        state_ = State::kDone;
      }
      return state_;  // trailer fields are read and ignored
    case Phase::kBody:
    case Phase::kChunkData:
    case Phase::kUntilClose:
    case Phase::kDone:
      break;
  }
  return state_;
}

ResponseReader::State ResponseReader::HeadersDone() {
  if (status_ < 200) {
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    status_ = 0;
    head_.clear();
    fields_.clear();
    phase_ = Phase::kStatus;
    return state_;
  }
  // Every Connection field counts (a list may be split over several); "close" wins over "keep-alive".
  bool close = false;
  bool keep_alive = false;
  bool transfer_encoding = false;
  for (const Field& f : fields_) {
    const std::string_view name = std::string_view(head_).substr(f.name_at, f.name_size);
    const std::string_view value = std::string_view(head_).substr(f.value_at, f.value_size);
    if (EqualsNoCase(name, "Connection")) {
      close = close || ListHas(value, "close");
      keep_alive = keep_alive || ListHas(value, "keep-alive");
    } else if (EqualsNoCase(name, "Transfer-Encoding")) {
      // Only "chunked" alone: a coding before it (gzip, chunked) would leave the body encoded, and one after it
      // (chunked in one field, gzip in the next) would mean the chunks do not frame the body.
      if (!EqualsNoCase(OnlyElement(value), "chunked")) {
        return Fail("unsupported Transfer-Encoding '" + std::string(value.substr(0, 64)) + "'");
      }
      if (transfer_encoding) return Fail("Transfer-Encoding chunked more than once");
      transfer_encoding = true;
    }
  }
  if (close || (minor_version_ == 0 && !keep_alive)) keep_alive_ = false;
  if (transfer_encoding) {
    chunked_ = true;
    // With both, the chunks frame the body and the length is ignored; such a peer gets no second request.
    if (Header("Content-Length")) keep_alive_ = false;
  } else {
    for (const Field& f : fields_) {
      if (!EqualsNoCase(std::string_view(head_).substr(f.name_at, f.name_size), "Content-Length")) continue;
      const std::string_view text = std::string_view(head_).substr(f.value_at, f.value_size);
      std::uint64_t length = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
      if (text.empty() || text.size() > 18 || ec != std::errc() || end != text.data() + text.size()) {
        return Fail("invalid Content-Length '" + std::string(text.substr(0, 64)) + "'");
      }
      if (content_length_ && *content_length_ != length) return Fail("conflicting Content-Length fields");
      content_length_ = length;
    }
  }
  if (status_ == 204 || status_ == 304) {
    phase_ = Phase::kDone;
    state_ = State::kDone;
    return state_;
  }
  if (chunked_) {
    phase_ = Phase::kChunkSize;
    return state_;
  }
  if (content_length_) {
    if (*content_length_ > max_body_) {
      return Fail("response body exceeds " + std::to_string(max_body_) + " bytes", true);
    }
    if (*content_length_ == 0) {
      phase_ = Phase::kDone;
      state_ = State::kDone;
      return state_;
    }
    remaining_ = *content_length_;
    phase_ = Phase::kBody;
    return state_;
  }
  // Neither: the body runs until the peer closes, and the connection cannot be used again.
  keep_alive_ = false;
  phase_ = Phase::kUntilClose;
  return state_;
}

}  // namespace payrecon::net::wire
