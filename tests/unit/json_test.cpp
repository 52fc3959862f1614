#include <boost/test/unit_test.hpp>

#include <string>

#include "core/json.h"

using namespace payrecon::core;

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(keeps_number_text_and_member_order) {
  const auto v = ParseJson(R"({"z":0.010,"a":1E+2,"m":-0,"s":"x\u00e9\n","n":null,"b":[true,false]})");
  BOOST_REQUIRE(v.ok());
  BOOST_REQUIRE(v->members().size() == 6u);
  BOOST_TEST(v->members()[0].first == "z");
  BOOST_TEST(v->Find("z")->text() == "0.010");
  BOOST_TEST(v->Find("a")->text() == "1E+2");
  BOOST_TEST(v->Find("m")->text() == "-0");
  BOOST_TEST(v->Find("s")->text() == "x\xC3\xA9\n");
  BOOST_TEST(v->Find("n")->is_null());
  BOOST_TEST(v->Find("missing") == nullptr);
  BOOST_TEST(SerializeJson(*v) == R"({"z":0.010,"a":1E+2,"m":-0,"s":"xé\n","n":null,"b":[true,false]})");
}

BOOST_AUTO_TEST_CASE(rejects_malformed_with_offset) {
  const struct {
    const char* text;
    const char* error;
  } rows[] = {
      {"", "invalid JSON at byte 0: unexpected end of input"},
      {R"({"a":1)", "invalid JSON at byte 6: unexpected end of input in an object"},
      {R"({"a":01})", "invalid JSON at byte 6: expected ',' or '}'"},
      {R"({"a":1.})", "invalid JSON at byte 7: bad number: no digits after '.'"},
      {R"({"a":"x)", "invalid JSON at byte 7: unterminated string"},
      {R"({"a":tru})", "invalid JSON at byte 5: unknown literal"},
      {R"({"a":1} x)", "invalid JSON at byte 8: unexpected text after the JSON value"},
      {R"({a:1})", "invalid JSON at byte 1: expected a member name"},
      {R"(["\ud800"])", "invalid JSON at byte 8: unpaired surrogate"},
      {"[\"\x01\"]", "invalid JSON at byte 2: control character in a string"},
  };
  for (const auto& r : rows) {
    const auto v = ParseJson(r.text);
    BOOST_TEST_INFO(r.text);
    BOOST_REQUIRE(!v.ok());
    BOOST_TEST(v.error() == r.error);
  }
}

BOOST_AUTO_TEST_CASE(limits_nesting) {
  std::string deep(kJsonMaxDepth + 2, '[');
  deep += std::string(kJsonMaxDepth + 2, ']');
  const auto v = ParseJson(deep);
  BOOST_REQUIRE(!v.ok());
  BOOST_TEST(v.error().find("nesting too deep") != std::string::npos);
  std::string ok(kJsonMaxDepth, '[');
  ok += std::string(kJsonMaxDepth, ']');
  BOOST_TEST(ParseJson(ok).ok());
  // One level over the limit (found by json_fuzz: 65 levels were accepted), also with objects and scalars inside.
  std::string over(kJsonMaxDepth + 1, '[');
  over += std::string(kJsonMaxDepth + 1, ']');
  BOOST_TEST(ParseJson(over).error().find("nesting too deep") != std::string::npos);
  std::string objects;
  for (std::size_t i = 0; i < kJsonMaxDepth; ++i) objects += "{\"a\":";
  BOOST_TEST(ParseJson(objects + "1" + std::string(kJsonMaxDepth, '}')).ok());
  BOOST_TEST(!ParseJson(objects + "{}" + std::string(kJsonMaxDepth, '}')).ok());
}

BOOST_AUTO_TEST_SUITE_END()
