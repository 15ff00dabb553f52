// The request parsers of tools/server/request_body.hpp, called directly (the fuzz targets
// http_json and http_upload call the same functions): hostile bodies are refused with a 4xx whose
// message names the request or the upload's file name, is valid UTF-8 and short, and never shows
// the server's folders.
#include <gtest/gtest.h>

#include <string>

#include "api_error.hpp"
#include "request_body.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/untrusted.hpp"
#include "test_support.hpp"

namespace swingpipe::server {
namespace {

/// The ApiError that `fn` throws (fails the test when it throws none).
template <class Fn>
ApiError api_error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError";
  return ApiError(500, "internal_error", "");
}

TEST(RequestBody, DeepNestingIsInvalidJsonNamingTheByte) {
  // The issue-13 body: deep nesting followed by another key. parse_json never recurses per level.
  const std::string body = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const ApiError e = api_error_of([&] { parse_json_body(body); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.code(), "invalid_json");
  const std::string msg = e.what();
  EXPECT_EQ(msg.rfind("request: byte ", 0), 0u) << msg;
  EXPECT_NE(msg.find("nest"), std::string::npos) << msg;
}

TEST(RequestBody, TrailingBytesNumberOverflowAndNonObjectsAreRefused) {
  using namespace std::string_literals;
  for (const std::string& body : {"{\"name\": \"x\"}\0{\"name\": \"y\"}"s, "{\"a\": 1e309}"s,
                                  "{\"a\": 1, \"a\": 2}"s, "{\"a\": \"\xc3\x28\"}"s}) {
    const ApiError e = api_error_of([&] { parse_json_body(body); });
    EXPECT_EQ(e.code(), "invalid_json") << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("request: byte ", 0), 0u) << e.what();
    EXPECT_TRUE(io::is_valid_utf8(e.what())) << io::quote_input(e.what());
  }
  EXPECT_EQ(api_error_of([] { parse_json_body("[1, 2]"); }).code(), "invalid_request");
  EXPECT_EQ(api_error_of([] { parse_json_body(""); }).code(), "invalid_request");
  EXPECT_TRUE(parse_json_body(R"({"name": "ok"})").is_object());
}

TEST(RequestBody, UnknownScopeIsQuotedBoundedAndValidUtf8) {
  const std::string scope = "\xff\xfe" + std::string(20000, 'x');
  const auto body = parse_json_body(R"({"name": "k", "scopes": ["read", "x"]})");
  const ApiError e = api_error_of([&] {
    auto b = body;
    b["scopes"][1] = scope;  // invalid UTF-8 cannot come through parse_json; a caller could pass it
    parse_key_request(b);
  });
  EXPECT_EQ(e.status(), 400);
  const std::string msg = e.what();
  EXPECT_EQ(msg.rfind("request: /scopes: unknown scope '\\xff\\xfexxx", 0), 0u) << msg;
  EXPECT_LT(msg.size(), 300u);
  EXPECT_TRUE(io::is_valid_utf8(msg));
}

TEST(RequestBody, KeyRequestDefaultsAndLimits) {
  const KeyRequest k = parse_key_request(parse_json_body(R"({"name": "ci"})"));
  EXPECT_EQ(k.name, "ci");
  EXPECT_EQ(k.scopes, auth::kRead | auth::kRun);
  EXPECT_FALSE(k.expires_in_days);
  for (const char* days : {"0", "36501", "-1"}) {
    const auto body =
        parse_json_body(std::string(R"({"name": "k", "expires_in_days": )") + days + "}");
    EXPECT_EQ(api_error_of([&] { parse_key_request(body); }).code(), "invalid_request") << days;
  }
  EXPECT_EQ(parse_key_request(parse_json_body(R"({"name": "k", "expires_in_days": 36500})"))
                .expires_in_days,
            36500);
  EXPECT_THROW(parse_key_request(parse_json_body(R"({"name": "k", "nmae": 1})")), InputError);
}

TEST(RequestBody, RunRequestUsesTheServersLibraryAndOutput) {
  ServerConfig config;
  config.library = "lib.db";
  config.output_dir = "out";
  const RunRequest r = parse_run_request(
      parse_json_body(R"({"ids": [3], "analyses": [{"type": "stats"}], "batch_size": 4})"), config,
      "api-fallback");
  EXPECT_EQ(r.run_id, "api-fallback");
  EXPECT_EQ(r.config.library, "lib.db");
  EXPECT_EQ(r.config.output.dir, "out");
  EXPECT_EQ(r.config.select.ids, (std::vector<int64_t>{3}));
  EXPECT_EQ(r.config.batch_size, 4);
  try {
    parse_run_request(parse_json_body(R"({"analyses": [], "library": "/etc/x.db"})"), config, "x");
    ADD_FAILURE() << "a request chose the library";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/library"), std::string::npos) << e.what();
  }
}

TEST(RequestBody, UploadErrorsNameTheClientsFileNotTheServersFolder) {
  test::TempDir dir;
  const ApiError e = api_error_of([&] { read_upload("time,a\n0,1\n1,", "swing.csv", dir.path()); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.code(), "invalid_upload");
  const std::string msg = e.what();
  EXPECT_EQ(msg.rfind("swing.csv:", 0), 0u) << msg;
  EXPECT_EQ(msg.find(dir.path().string()), std::string::npos) << msg;
  EXPECT_EQ(api_error_of([&] { read_upload("", "swing.csv", dir.path()); }).code(),
            "invalid_upload");
  EXPECT_EQ(api_error_of([] { check_upload_filename("x.exe"); }).status(), 415);
  EXPECT_EQ(api_error_of([] { check_upload_filename("../x.csv"); }).code(), "invalid_parameter");
  const auto recs = read_upload("time,a\n0,1\n0.5,2\n", "swing.csv", dir.path());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].channels, (std::vector<std::string>{"a"}));
  EXPECT_EQ(recs[0].data, (std::vector<double>{1, 2}));
}

}  // namespace
}  // namespace swingpipe::server
