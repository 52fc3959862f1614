// net/http_wire: the request bytes the gateway client writes and the response reader, fed whole and byte by byte.
#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_wire.h"

using namespace payrecon::net;
using wire::ResponseReader;
using State = ResponseReader::State;

namespace {

enum class Feeding { kWhole, kByteByByte };
constexpr std::initializer_list<Feeding> kFeedings = {Feeding::kWhole, Feeding::kByteByByte};

const char* Name(Feeding f) { return f == Feeding::kWhole ? "fed whole" : "fed byte by byte"; }

// A reader with `text` fed to it as `feeding` says; End() after it when `end`.
ResponseReader Read(std::string_view text, Feeding feeding = Feeding::kWhole, bool end = false,
                    std::size_t max_body = 1024) {
  ResponseReader r(max_body);
  if (feeding == Feeding::kWhole) {
    r.Feed(text);
  } else {
    for (char c : text) r.Feed(std::string_view(&c, 1));
  }
  if (end) r.End();
  return r;
}

std::string Request(std::string_view method, std::string_view target,
                    const std::vector<std::pair<std::string_view, std::string_view>>& headers,
                    std::string_view body) {
  std::string out;
  wire::AppendRequest(out, method, target, "pay.example", headers, body);
  return out;
}

// A response head with `fields` (each "Name: value") and Content-Length 0.
std::string WithFields(const std::vector<std::string>& fields) {
  std::string out = "HTTP/1.1 200 OK\r\n";
  for (const auto& f : fields) out += f + "\r\n";
  return out + "Content-Length: 0\r\n\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_wire)

// --- AppendRequest and HostHeader ---

BOOST_AUTO_TEST_CASE(a_get_is_written_with_host_first_then_the_headers_in_order_and_no_content_length) {
  BOOST_TEST(Request("GET", "/v2/payments/charge?a=1&b=2", {{"x-amz-date", "20260101T000000Z"}, {"Accept", "*/*"}},
                     "") ==
             "GET /v2/payments/charge?a=1&b=2 HTTP/1.1\r\n"
             "Host: pay.example\r\n"
             "x-amz-date: 20260101T000000Z\r\n"
             "Accept: */*\r\n"
             "\r\n");
}

BOOST_AUTO_TEST_CASE(a_post_is_written_with_its_content_length_after_the_headers_and_the_body_last) {
  BOOST_TEST(Request("POST", "/v2/status", {{"Content-Type", "application/json"}, {"Authorization", "sig"}},
                     R"({"a":"b"})") ==
             "POST /v2/status HTTP/1.1\r\n"
             "Host: pay.example\r\n"
             "Content-Type: application/json\r\n"
             "Authorization: sig\r\n"
             "Content-Length: 9\r\n"
             "\r\n"
             R"({"a":"b"})");
}

BOOST_AUTO_TEST_CASE(an_empty_post_gets_a_content_length_of_zero) {
  BOOST_TEST(Request("POST", "/", {}, "") == "POST / HTTP/1.1\r\nHost: pay.example\r\nContent-Length: 0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(a_request_is_appended_after_what_the_buffer_holds) {
  std::string out = "kept";
  wire::AppendRequest(out, "GET", "/", "h:8080", {}, "");
  BOOST_TEST(out == "keptGET / HTTP/1.1\r\nHost: h:8080\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(a_line_break_in_a_header_name_or_value_is_refused) {
  for (const std::string_view bad : {"a\rb", "a\nb", "a\r\nX-Injected: 1", "\n"}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_CHECK_THROW(Request("GET", "/", {{"X-Name", bad}}, ""), std::invalid_argument);
      BOOST_CHECK_THROW(Request("GET", "/", {{bad, "value"}}, ""), std::invalid_argument);
    }
  }
  try {
    Request("GET", "/", {{"Accept", "ok"}, {"X-Bad", "a\r\nb"}}, "");
    BOOST_FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == "HTTP header 'X-Bad' holds a line break");
  }
  std::string out = "kept";
  BOOST_CHECK_THROW(wire::AppendRequest(out, "GET", "/", "h", {{"Accept", "ok"}, {"X-Bad", "a\nb"}}, ""),
                    std::invalid_argument);
  BOOST_TEST(out == "kept");  // nothing half-written
}

BOOST_AUTO_TEST_CASE(a_line_break_in_the_target_method_or_host_is_refused) {
  std::string out;
  BOOST_CHECK_THROW(wire::AppendRequest(out, "GET", "/a\r\nX: 1", "h", {}, ""), std::invalid_argument);
  BOOST_CHECK_THROW(wire::AppendRequest(out, "GET", "/a\n", "h", {}, ""), std::invalid_argument);
  BOOST_CHECK_THROW(wire::AppendRequest(out, "GET\r", "/", "h", {}, ""), std::invalid_argument);
  BOOST_CHECK_THROW(wire::AppendRequest(out, "GET", "/", "h\n", {}, ""), std::invalid_argument);
  try {
    wire::AppendRequest(out, "GET", "/\r\n", "h", {}, "");
    BOOST_FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == "HTTP request line or Host holds a line break");
  }
  BOOST_TEST(out.empty());  // nothing half-written
}

BOOST_AUTO_TEST_CASE(the_host_header_brackets_an_ipv6_literal) {
  BOOST_TEST(wire::HostHeader("::1", 8443) == "[::1]:8443");
  BOOST_TEST(wire::HostHeader("2001:db8::7", 443) == "[2001:db8::7]");
  BOOST_TEST(wire::HostHeader("127.0.0.1", 8080) == "127.0.0.1:8080");
}

BOOST_AUTO_TEST_CASE(the_host_header_omits_ports_80_and_443_and_keeps_others) {
  BOOST_TEST(wire::HostHeader("amazonpay.amazon.in", 443) == "amazonpay.amazon.in");
  BOOST_TEST(wire::HostHeader("amazonpay.amazon.in", 80) == "amazonpay.amazon.in");
  BOOST_TEST(wire::HostHeader("sandbox.local", 8443) == "sandbox.local:8443");
  BOOST_TEST(wire::HostHeader("sandbox.local", 1) == "sandbox.local:1");
  BOOST_TEST(wire::HostHeader("sandbox.local", 65535) == "sandbox.local:65535");
}

// --- ResponseReader: bodies ---

BOOST_AUTO_TEST_CASE(a_content_length_body_is_read_whether_fed_whole_or_one_byte_at_a_time) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      const ResponseReader r = Read(text, f);
      BOOST_TEST((r.state() == State::kDone));
      BOOST_TEST(r.status() == 200);
      BOOST_TEST(r.body() == "{\"status\":\"ok\"}");
      BOOST_TEST(r.content_length().value() == 15u);
      BOOST_TEST(r.keep_alive());
      BOOST_TEST(r.extra() == 0u);
      BOOST_TEST(r.error().empty());
      BOOST_TEST(r.Header("Content-Type").value() == "application/json");
    }
  }
}

BOOST_AUTO_TEST_CASE(the_reader_asks_for_more_until_the_last_byte_of_the_body) {
  const std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  ResponseReader r(1024);
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    BOOST_TEST_REQUIRE((r.Feed(text.substr(i, 1)) == State::kMore));
  }
  BOOST_TEST((r.Feed(text.substr(text.size() - 1)) == State::kDone));
  BOOST_TEST(r.body() == "abc");
}

BOOST_AUTO_TEST_CASE(a_content_length_of_zero_completes_at_the_blank_line) {
  const ResponseReader r = Read("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
  BOOST_TEST((r.state() == State::kDone));
  BOOST_TEST(r.body().empty());
  BOOST_TEST(r.keep_alive());
}

BOOST_AUTO_TEST_CASE(a_chunked_body_with_extensions_and_trailers_is_read_whether_fed_whole_or_byte_by_byte) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-amz-request-id: r1\r\n\r\n"
      "4;name=value\r\nWiki\r\n"
      "A ; ext=\"quoted;semi\"\r\n0123456789\r\n"
      "1\r\n!\r\n"
      "0;last\r\nx-amz-trailer: t\r\nExpires: 0\r\n\r\n";
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      const ResponseReader r = Read(text, f);
      BOOST_TEST((r.state() == State::kDone));
      BOOST_TEST(r.body() == "Wiki0123456789!");
      BOOST_TEST(!r.content_length().has_value());
      BOOST_TEST(r.keep_alive());
      BOOST_TEST(r.extra() == 0u);
      BOOST_TEST(r.Header("x-amz-request-id").value() == "r1");
      BOOST_TEST(!r.Header("x-amz-trailer").has_value());  // trailers are read and ignored
    }
  }
}

BOOST_AUTO_TEST_CASE(chunk_sizes_are_hex_in_either_case) {
  const ResponseReader r =
      Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nb\r\nhello world\r\nB\r\nHELLO WORLD\r\n0\r\n\r\n");
  BOOST_TEST((r.state() == State::kDone));
  BOOST_TEST(r.body() == "hello worldHELLO WORLD");
}

BOOST_AUTO_TEST_CASE(bare_lf_line_ends_are_accepted) {
  const ResponseReader r = Read("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n");
  BOOST_TEST((r.state() == State::kDone));
  BOOST_TEST(r.body() == "abc");
}

BOOST_AUTO_TEST_CASE(a_body_without_a_length_ends_when_the_peer_closes_and_the_connection_is_not_kept) {
  const std::string text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nruns until the close";
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      ResponseReader r = Read(text, f);
      BOOST_TEST((r.state() == State::kMore));
      BOOST_TEST(!r.keep_alive());
      BOOST_TEST((r.End() == State::kDone));
      BOOST_TEST(r.body() == "runs until the close");
      BOOST_TEST(!r.keep_alive());
      BOOST_TEST(!r.content_length().has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(responses_204_and_304_have_no_body_whatever_their_headers_say) {
  for (const char* text : {"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
                           "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                           "HTTP/1.1 204 No Content\r\n\r\n"}) {
    BOOST_TEST_CONTEXT(text) {
      const ResponseReader r = Read(text);
      BOOST_TEST((r.state() == State::kDone));
      BOOST_TEST(r.body().empty());
      BOOST_TEST(r.extra() == 0u);
    }
  }
  BOOST_TEST(Read("HTTP/1.1 204 No Content\r\n\r\n").keep_alive());
}

BOOST_AUTO_TEST_CASE(interim_100_continue_and_103_early_hints_are_skipped) {
  const std::string text =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 2\r\n\r\n{}";
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      const ResponseReader r = Read(text, f);
      BOOST_TEST((r.state() == State::kDone));
      BOOST_TEST(r.status() == 429);
      BOOST_TEST(r.body() == "{}");
      BOOST_TEST(r.Header("Retry-After").value() == "2");
      BOOST_TEST(!r.Header("Link").has_value());  // the interim answer's fields are not the response's
    }
  }
}

// --- ResponseReader: keep-alive ---

BOOST_AUTO_TEST_CASE(an_http10_connection_is_kept_only_with_keep_alive) {
  BOOST_TEST(!Read("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").keep_alive());
  BOOST_TEST(Read("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok").keep_alive());
  BOOST_TEST(Read("HTTP/1.0 200 OK\r\nConnection: foo, keep-alive\r\nContent-Length: 2\r\n\r\nok").keep_alive());
  BOOST_TEST(!Read("HTTP/1.0 200 OK\r\nConnection: foo\r\nContent-Length: 2\r\n\r\nok").keep_alive());
}

BOOST_AUTO_TEST_CASE(close_wins_over_keep_alive_on_http10) {
  BOOST_TEST(!Read("HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok").keep_alive());
  BOOST_TEST(
      !Read("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
           .keep_alive());
}

BOOST_AUTO_TEST_CASE(an_http11_connection_is_kept_unless_connection_close) {
  BOOST_TEST(Read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").keep_alive());
  BOOST_TEST(Read("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok").keep_alive());
  BOOST_TEST(!Read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok").keep_alive());
  BOOST_TEST(!Read("HTTP/1.1 200 OK\r\nconnection: TE, Close\r\nContent-Length: 2\r\n\r\nok").keep_alive());
  BOOST_TEST(Read("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 2\r\n\r\nok").keep_alive());
}

BOOST_AUTO_TEST_CASE(connection_close_in_a_second_connection_field_is_honoured) {
  const ResponseReader r =
      Read("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
  BOOST_TEST((r.state() == State::kDone));
  BOOST_TEST(!r.keep_alive());
}

BOOST_AUTO_TEST_CASE(bytes_past_the_response_are_counted_as_extra_and_the_connection_is_not_kept) {
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      ResponseReader r = Read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1", f);
      BOOST_TEST((r.state() == State::kDone));
      BOOST_TEST(r.body() == "ok");
      BOOST_TEST(r.extra() == 8u);
      BOOST_TEST(!r.keep_alive());
      BOOST_TEST((r.Feed("xyz") == State::kDone));  // later bytes are extra too
      BOOST_TEST(r.extra() == 11u);
      BOOST_TEST((r.End() == State::kDone));
    }
  }
  const ResponseReader chunked = Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\r\n");
  BOOST_TEST(chunked.extra() == 2u);
  BOOST_TEST(!chunked.keep_alive());
}

// --- ResponseReader: framing refused ---

BOOST_AUTO_TEST_CASE(with_transfer_encoding_and_content_length_the_chunks_frame_the_body_and_the_connection_ends) {
  for (const char* text :
       {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n5\r\nabcde\r\n0\r\n\r\n"}) {
    BOOST_TEST_CONTEXT(text) {
      const ResponseReader r = Read(text);
      BOOST_TEST((r.state() == State::kDone));
      BOOST_TEST(r.body() == "abcde");
      BOOST_TEST(!r.content_length().has_value());
      BOOST_TEST(!r.keep_alive());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_transfer_encoding_other_than_chunked_is_refused) {
  const ResponseReader r = Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz");
  BOOST_TEST((r.state() == State::kError));
  BOOST_TEST(r.error() == "unsupported Transfer-Encoding 'gzip'");
  BOOST_TEST(r.started());
  BOOST_TEST(!r.truncated());
  BOOST_TEST(!r.keep_alive());
  BOOST_TEST(Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").error() ==
             "unsupported Transfer-Encoding 'chunked, gzip'");
  BOOST_TEST(Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n").error() == "unsupported Transfer-Encoding ''");
}

BOOST_AUTO_TEST_CASE(a_coding_before_chunked_is_refused_rather_than_passing_an_encoded_body_on) {
  const ResponseReader r = Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  BOOST_TEST((r.state() == State::kError));
  BOOST_TEST(r.error() == "unsupported Transfer-Encoding 'gzip, chunked'");
}

BOOST_AUTO_TEST_CASE(a_second_transfer_encoding_field_is_refused) {
  const ResponseReader gzip =
      Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  BOOST_TEST((gzip.state() == State::kError));
  BOOST_TEST(gzip.error() == "unsupported Transfer-Encoding 'gzip'");
  const ResponseReader twice =
      Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  BOOST_TEST(twice.error() == "Transfer-Encoding chunked more than once");
}

BOOST_AUTO_TEST_CASE(empty_list_elements_around_chunked_are_ignored) {
  const ResponseReader r = Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: , chunked ,\r\n\r\n1\r\nz\r\n0\r\n\r\n");
  BOOST_TEST((r.state() == State::kDone));
  BOOST_TEST(r.body() == "z");
}

BOOST_AUTO_TEST_CASE(conflicting_content_lengths_are_refused_and_equal_ones_accepted) {
  const ResponseReader conflict = Read("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\nabcd");
  BOOST_TEST((conflict.state() == State::kError));
  BOOST_TEST(conflict.error() == "conflicting Content-Length fields");
  BOOST_TEST(!conflict.truncated());
  const ResponseReader same = Read("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
  BOOST_TEST((same.state() == State::kDone));
  BOOST_TEST(same.body() == "abc");
}

BOOST_AUTO_TEST_CASE(an_invalid_content_length_is_refused) {
  for (const std::string value : {"+12", "-1", "1 2", "", "0x10", "12a", "3, 3", "1234567890123456789"}) {
    BOOST_TEST_CONTEXT(value) {
      const ResponseReader r = Read("HTTP/1.1 200 OK\r\nContent-Length: " + value + "\r\n\r\n");
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.error() == "invalid Content-Length '" + value + "'");
    }
  }
}

// --- ResponseReader: truncation and the body limit ---

BOOST_AUTO_TEST_CASE(a_content_length_body_cut_short_is_a_truncation_with_its_counts) {
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      const ResponseReader r =
          Read("HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n{\"status\":\"ok\"}", f, /*end=*/true);
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.error() == "response body truncated after 15 of 200 bytes");
      BOOST_TEST(r.truncated());
      BOOST_TEST(r.started());
      BOOST_TEST(r.status() == 200);
      BOOST_TEST(r.body() == "{\"status\":\"ok\"}");
      BOOST_TEST(!r.keep_alive());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_chunked_body_cut_short_is_a_truncation_wherever_it_is_cut) {
  const std::string whole = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n3\r\nfgh\r\n0\r\n\r\n";
  const std::size_t body_at = whole.find("\r\n\r\n") + 4;
  // Cut in every place from the first chunk size to the last CRLF.
  for (std::size_t cut = body_at; cut < whole.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at " << cut) {
      const ResponseReader r = Read(std::string_view(whole).substr(0, cut), Feeding::kWhole, /*end=*/true);
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.truncated());
      BOOST_TEST(r.error() == "response body truncated after " + std::to_string(r.body().size()) +
                                  " bytes: the connection closed before the last chunk");
    }
  }
  const ResponseReader r = Read(whole.substr(0, whole.find("fgh") + 1), Feeding::kWhole, true);
  BOOST_TEST(r.error() == "response body truncated after 6 bytes: the connection closed before the last chunk");
}

BOOST_AUTO_TEST_CASE(a_declared_length_over_the_limit_is_refused_before_the_body) {
  const ResponseReader r = Read("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", Feeding::kWhole, false, 100);
  BOOST_TEST((r.state() == State::kError));
  BOOST_TEST(r.error() == "response body exceeds 100 bytes");
  BOOST_TEST(r.truncated());
  BOOST_TEST(r.body().empty());
  const ResponseReader at_limit = Read("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'),
                                       Feeding::kWhole, false, 100);
  BOOST_TEST((at_limit.state() == State::kDone));
}

BOOST_AUTO_TEST_CASE(chunks_over_the_limit_are_refused_keeping_the_chunks_before) {
  const std::string text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3c\r\n" + std::string(60, 'a') +
                           "\r\n29\r\n" + std::string(41, 'b') + "\r\n0\r\n\r\n";
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      const ResponseReader r = Read(text, f, false, 100);
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.error() == "response body exceeds 100 bytes");
      BOOST_TEST(r.truncated());
      BOOST_TEST(r.body() == std::string(60, 'a'));
    }
  }
  BOOST_TEST((Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + std::string(100, 'a') +
                       "\r\n0\r\n\r\n",
                   Feeding::kWhole, false, 100)
                  .state() == State::kDone));
}

BOOST_AUTO_TEST_CASE(a_close_delimited_body_over_the_limit_is_refused_with_the_same_body_however_it_arrives) {
  const std::string text = "HTTP/1.1 200 OK\r\n\r\n" + std::string(60, 'a') + std::string(60, 'b');
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      const ResponseReader r = Read(text, f, false, 100);
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.error() == "response body exceeds 100 bytes");
      BOOST_TEST(r.truncated());
      BOOST_TEST(r.body() == std::string(60, 'a') + std::string(40, 'b'));
    }
  }
  const ResponseReader at_limit = Read("HTTP/1.1 200 OK\r\n\r\n" + std::string(100, 'x'), Feeding::kWhole, true, 100);
  BOOST_TEST((at_limit.state() == State::kDone));
  BOOST_TEST(at_limit.body().size() == 100u);
}

// --- ResponseReader: header limits and syntax ---

BOOST_AUTO_TEST_CASE(more_than_100_header_fields_are_refused) {
  std::vector<std::string> fields;
  for (int i = 0; i < 99; ++i) fields.push_back("X-F" + std::to_string(i) + ": v");
  BOOST_TEST((Read(WithFields(fields)).state() == State::kDone));  // 99 and Content-Length: 100
  fields.push_back("X-Last: v");
  const ResponseReader r = Read(WithFields(fields));
  BOOST_TEST((r.state() == State::kError));
  BOOST_TEST(r.error() == "more than 100 header fields");
}

BOOST_AUTO_TEST_CASE(a_header_name_over_256_bytes_is_refused) {
  BOOST_TEST((Read(WithFields({std::string(256, 'n') + ": v"})).state() == State::kDone));
  const ResponseReader r = Read(WithFields({std::string(257, 'n') + ": v"}));
  BOOST_TEST((r.state() == State::kError));
  BOOST_TEST(r.error() == "header name exceeds 256 bytes");
}

BOOST_AUTO_TEST_CASE(a_header_value_over_8_kib_is_refused) {
  BOOST_TEST((Read(WithFields({"X-Big: " + std::string(8192, 'v') + "  "})).state() == State::kDone));
  const ResponseReader r = Read(WithFields({"X-Big: " + std::string(8193, 'v')}));
  BOOST_TEST((r.state() == State::kError));
  BOOST_TEST(r.error() == "header 'X-Big' exceeds 8192 bytes");
}

BOOST_AUTO_TEST_CASE(a_header_section_over_64_kib_is_refused_whether_fed_whole_or_byte_by_byte) {
  std::vector<std::string> fields;
  for (int i = 0; i < 9; ++i) fields.push_back("X-" + std::to_string(i) + ": " + std::string(8000, 'v'));
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      const ResponseReader r = Read(WithFields(fields), f);
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.error() == "header section exceeds 65536 bytes");
    }
  }
  // One endless line is refused at the limit, without waiting for its end.
  const ResponseReader endless = Read("HTTP/1.1 200 OK\r\nX-Endless: " + std::string(70000, 'v'));
  BOOST_TEST(endless.error() == "header section exceeds 65536 bytes");
  // Interim answers count towards the section: an endless stream of them ends.
  std::string interims;
  while (interims.size() <= 70000) interims += "HTTP/1.1 100 Continue\r\n\r\n";
  BOOST_TEST(Read(interims).error() == "header section exceeds 65536 bytes");
}

BOOST_AUTO_TEST_CASE(folded_header_lines_are_refused) {
  for (const char* text : {"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n\r\n",
                           "HTTP/1.1 200 OK\r\nX-A: one\r\n\ttwo\r\n\r\n", "HTTP/1.1 200 OK\r\n X-A: one\r\n\r\n"}) {
    BOOST_TEST_CONTEXT(text) { BOOST_TEST(Read(text).error() == "folded header line"); }
  }
}

BOOST_AUTO_TEST_CASE(malformed_status_lines_are_refused_before_the_response_starts) {
  for (const char* line : {"HTTP/2 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 2x0 OK", "http/1.1 200 OK",
                           "HTTP/1.1  200 OK", "HTTP/1.x 200 OK", "HTTP/1.1", "", "ICY 200 OK", "HTTP/1.1 200OK"}) {
    BOOST_TEST_CONTEXT("'" << line << "'") {
      const ResponseReader r = Read(std::string(line) + "\r\nContent-Length: 0\r\n\r\n");
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.error() == "malformed status line");
      BOOST_TEST(!r.started());
      BOOST_TEST(r.any_bytes());
    }
  }
  BOOST_TEST(Read("HTTP/1.1 600 Odd\r\n\r\n").error() == "status 600 out of range");
  BOOST_TEST(Read("HTTP/1.1 099 Low\r\n\r\n").error() == "status 99 out of range");
  BOOST_TEST(Read("HTTP/1.1 101 Switching Protocols\r\n\r\n").error() == "unexpected 101 Switching Protocols");
}

BOOST_AUTO_TEST_CASE(malformed_header_lines_and_names_are_refused) {
  BOOST_TEST(Read(WithFields({"Bad Name: x"})).error() == "malformed header name");
  BOOST_TEST(Read(WithFields({"Name : x"})).error() == "malformed header name");
  BOOST_TEST(Read(WithFields({"N\"ame: x"})).error() == "malformed header name");
  BOOST_TEST(Read(WithFields({"no colon"})).error() == "malformed header line");
  BOOST_TEST(Read(WithFields({": no name"})).error() == "malformed header line");
  const ResponseReader ok = Read(WithFields({"X-Odd!#$%&'*+.^_`|~: fine"}));
  BOOST_TEST((ok.state() == State::kDone));
  BOOST_TEST(ok.started());
}

BOOST_AUTO_TEST_CASE(a_bad_chunk_size_is_refused) {
  for (const char* size : {"zz", "", "-1", "0x10", "+5", "1 2", "1000000000000000", ";ext"}) {
    BOOST_TEST_CONTEXT("'" << size << "'") {
      const ResponseReader r =
          Read(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + size + "\r\nab\r\n0\r\n\r\n");
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.error() == "bad chunk size");
      BOOST_TEST(!r.truncated());
    }
  }
  // Blanks around the size are allowed, and 15 hex digits are read (then refused by the limit).
  BOOST_TEST((Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 2 ;x\r\nab\r\n0\r\n\r\n").state() ==
              State::kDone));
  BOOST_TEST(Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n").error() ==
             "response body exceeds 1024 bytes");
}

BOOST_AUTO_TEST_CASE(a_chunk_size_line_over_1024_bytes_is_refused) {
  const ResponseReader r =
      Read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;" + std::string(1100, 'e') + "\r\nab\r\n");
  BOOST_TEST(r.error() == "chunk size line exceeds 1024 bytes");
}

BOOST_AUTO_TEST_CASE(chunk_data_longer_than_its_size_is_refused) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n";
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      BOOST_TEST(Read(head + "abc\r\n0\r\n\r\n", f).error() == "chunk data longer than its size");
      // Named at the first byte too many, not after a line's worth of them, nor as a truncation at the close.
      BOOST_TEST(Read(head + "ab" + std::string(2000, 'c'), f).error() == "chunk data longer than its size");
      BOOST_TEST(Read(head + "abc", f, /*end=*/true).error() == "chunk data longer than its size");
      BOOST_TEST(Read(head + "ab\rc\n", f).error() == "chunk data longer than its size");
    }
  }
}

// --- ResponseReader: the connection closing early ---

BOOST_AUTO_TEST_CASE(a_close_before_any_byte_is_told_apart) {
  ResponseReader r(1024);
  BOOST_TEST((r.End() == State::kError));
  BOOST_TEST(r.error() == "connection closed before a response");
  BOOST_TEST(!r.any_bytes());
  BOOST_TEST(!r.started());
  BOOST_TEST(!r.truncated());
  ResponseReader empty_feed(1024);
  BOOST_TEST((empty_feed.Feed("") == State::kMore));
  BOOST_TEST((empty_feed.End() == State::kError));
  BOOST_TEST(empty_feed.error() == "connection closed before a response");
  BOOST_TEST(!empty_feed.any_bytes());
}

BOOST_AUTO_TEST_CASE(a_close_inside_the_status_line_or_headers_is_named) {
  const ResponseReader status = Read("HTTP/1.1 2", Feeding::kWhole, true);
  BOOST_TEST(status.error() == "connection closed inside the status line");
  BOOST_TEST(status.any_bytes());
  BOOST_TEST(!status.started());
  const ResponseReader headers = Read("HTTP/1.1 200 OK\r\nContent-Le", Feeding::kWhole, true);
  BOOST_TEST(headers.error() == "connection closed inside the response headers");
  BOOST_TEST(headers.started());
  BOOST_TEST(!headers.truncated());
}

BOOST_AUTO_TEST_CASE(a_close_after_an_interim_answer_is_not_called_a_cut_status_line) {
  for (const Feeding f : kFeedings) {
    BOOST_TEST_CONTEXT(Name(f)) {
      const ResponseReader r = Read("HTTP/1.1 100 Continue\r\n\r\n", f, /*end=*/true);
      BOOST_TEST((r.state() == State::kError));
      BOOST_TEST(r.error() == "connection closed after an interim response");
      BOOST_TEST(r.any_bytes());
      BOOST_TEST(!r.started());
    }
  }
  BOOST_TEST(Read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.", Feeding::kWhole, true).error() ==
             "connection closed inside the status line");
}

BOOST_AUTO_TEST_CASE(end_after_a_complete_response_changes_nothing) {
  ResponseReader r = Read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  BOOST_TEST((r.End() == State::kDone));
  BOOST_TEST(r.keep_alive());
  BOOST_TEST(r.body() == "ok");
}

// --- ResponseReader: headers and reuse ---

BOOST_AUTO_TEST_CASE(header_lookup_is_case_insensitive_gives_the_first_of_duplicates_and_trims_the_value) {
  const ResponseReader r = Read(WithFields({"X-Amz-Signature: \t first \t", "x-amz-signature: second", "Empty:",
                                            "Inner: a  b"}));
  BOOST_TEST(r.Header("x-amz-signature").value() == "first");
  BOOST_TEST(r.Header("X-AMZ-SIGNATURE").value() == "first");
  BOOST_TEST(r.Header("empty").value() == "");
  BOOST_TEST(r.Header("Inner").value() == "a  b");
  BOOST_TEST(!r.Header("x-amz-signatur").has_value());
  BOOST_TEST(!r.Header("Missing").has_value());
}

BOOST_AUTO_TEST_CASE(reset_reuses_the_reader_for_a_second_response) {
  ResponseReader r(1024);
  r.Feed("HTTP/1.0 500 Oops\r\nX-Only-First: 1\r\nContent-Length: 10\r\n\r\nshort");
  BOOST_TEST((r.End() == State::kError));
  r.Reset();
  BOOST_TEST((r.state() == State::kMore));
  BOOST_TEST(r.error().empty());
  BOOST_TEST(!r.any_bytes());
  BOOST_TEST(!r.started());
  BOOST_TEST(r.body().empty());
  BOOST_TEST(!r.Header("X-Only-First").has_value());
  BOOST_TEST((r.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n") == State::kDone));
  BOOST_TEST(r.status() == 200);
  BOOST_TEST(r.body() == "hi");
  BOOST_TEST(!r.content_length().has_value());
  BOOST_TEST(r.keep_alive());  // the 1.0 response before does not linger
  BOOST_TEST(!r.truncated());
  BOOST_TEST(r.extra() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
