// Clients that misbehave: malformed uploads, oversized bodies, slow clients, bad JSON, unknown
// fields and parameters, huge headers. Each gets a 4xx, the server stays up, and the library is
// unchanged (row count, checksums and integrity compared before and after).
#include "server_test_util.hpp"

namespace swingpipe::server {
namespace {

using test::bearer;
using test::error_code;
using test::json_of;
using namespace std::chrono_literals;

std::string percent_encode(const std::string& s) {
  std::string out;
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class Robust : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = test::test_config(dir_.path());
    config_.max_body_bytes = 64 << 10;
    config_.max_json_bytes = 4 << 10;
    config_.read_timeout_seconds = 1;
    test::seed_library(config_.library, 3);
    Recording taken;  // a plain name, for the duplicate upload
    taken.meta.filename = "taken.csv";
    taken.meta.num_frames = 2;
    taken.sample_rate = 100;
    taken.channels = {"a"};
    taken.data = {1, 2};
    RecordingLibrary(config_.library).add(taken);
    key_ = test::make_key(config_.keys_database, auth::kRead | auth::kRun).secret;
    before_ = test::library_snapshot(config_.library);
  }
  void TearDown() override {
    EXPECT_EQ(test::library_snapshot(config_.library), before_) << "the library changed";
  }
  void expect(const httplib::Result& r, int status, const std::string& code,
              const std::string& what) {
    ASSERT_TRUE(r) << what << ": no response (" << httplib::to_string(r.error()) << ")";
    EXPECT_EQ(r->status, status) << what << ": " << r->body;
    EXPECT_EQ(error_code(r), code) << what << ": " << r->body;
  }
  void expect_alive(httplib::Client& c) {
    auto r = c.Get("/v1/library/stats", bearer(key_));
    ASSERT_TRUE(r) << "the server is gone";
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json_of(r)["count"], 4);
  }
  std::string upload(const std::string& name) { return "/v1/recordings?filename=" + name; }
  test::TempDir dir_;
  ServerConfig config_;
  std::string key_, before_;
};

TEST_F(Robust, MalformedUploadsAreRejectedWhole) {
  test::InProcessServer s(config_);
  auto c = s.client();
  const auto h = bearer(key_);
  auto r = c.Post(upload("bad.csv"), h, "time,a,b\n0,1,2\n0.01,3\n0.02,5,6\n", "text/csv");
  expect(r, 400, "invalid_upload", "short CSV row");
  EXPECT_NE(r->body.find("bad.csv"), std::string::npos) << r->body;  // names the file...
  EXPECT_NE(r->body.find("3"), std::string::npos) << r->body;        // ...and the line
  EXPECT_EQ(r->body.find("swingpipe-upload-"), std::string::npos) << "leaks the temp folder";
  expect(c.Post(upload("text.csv"), h, "time,a\n0,one\n", "text/csv"), 400, "invalid_upload",
         "a word where a number belongs");
  expect(c.Post(upload("x.npy"), h, std::string("\x93NUMPY\x01\x00garbage", 16), "x"), 400,
         "invalid_upload", "broken NPY header");
  expect(c.Post(upload("x.npy"), h, std::string(1000, '\0'), "x"), 400, "invalid_upload",
         "zeros as NPY");
  expect(c.Post(upload("u.tsv"), h, "1\t0.1\t0.2\n2\tx\t0.5\n", "x"), 400, "invalid_upload",
         "a bad second row of a UCR file: the first is not kept either");
  expect(c.Post(upload("r.json"), h, "{\"channels\": [\"a\"], \"data\": [[1, \"two\"]]}", "x"), 400,
         "invalid_upload", "JSON with a string value");
  expect(c.Post(upload("e.csv"), h, "", "text/csv"), 400, "invalid_upload", "empty body");
  httplib::MultipartFormDataItems form{{"file", "time,a\n0,1\n", "f.csv", "text/csv"}};
  expect(c.Post(upload("form.csv"), h, form), 415, "unsupported_format", "a multipart form");
  expect(c.Post(upload("swing.exe"), h, "MZ", "x"), 415, "unsupported_format", "extension");
  expect(c.Post(upload("noext"), h, "1", "x"), 415, "unsupported_format", "no extension");
  expect(c.Post("/v1/recordings", h, "time,a\n0,1\n", "text/csv"), 400, "missing_parameter",
         "no filename");
  expect(c.Post(upload("..%2Fescape.csv"), h, "time,a\n0,1\n", "text/csv"), 400,
         "invalid_parameter", "a path as filename");
  expect(c.Post(upload(".hidden.csv"), h, "time,a\n0,1\n", "text/csv"), 400, "invalid_parameter",
         "a dot file");
  expect(c.Post(upload("a.csv&rating=9"), h, "time,a\n0,1\n", "text/csv"), 400, "invalid_parameter",
         "rating out of range");
  expect(c.Post(upload("a.csv&sample_rate=-1"), h, "a\n1\n", "text/csv"), 400, "invalid_parameter",
         "negative sample rate");
  expect(c.Post(upload("a.csv&flavour=x"), h, "a\n1\n", "text/csv"), 400, "unknown_parameter",
         "unknown parameter");
  // A name the library already has.
  expect(c.Post(upload("taken.csv"), h, "time,a\n0,1\n0.1,2\n", "text/csv"), 409,
         "duplicate_recording", "duplicate");
  expect(c.Post(upload(percent_encode("demo/swing_000.csv")), h, "a\n1\n", "text/csv"), 400,
         "invalid_parameter", "a name with a slash");
  expect_alive(c);
}

TEST_F(Robust, OversizedBodiesGet413AndTheConnectionStaysUsable) {
  test::InProcessServer s(config_);
  auto c = s.client();
  c.set_keep_alive(true);
  const auto h = bearer(key_);
  const std::string big(100 << 10, 'x');
  expect(c.Post(upload("big.csv"), h, big, "text/csv"), 413, "payload_too_large",
         "upload over max_body_bytes");
  expect_alive(c);  // same connection: the body was drained, the next request parses
  expect(c.Post("/v1/runs", h, "{\"analyses\": [], \"pad\": \"" + std::string(8 << 10, 'p') + "\"}",
                "application/json"),
         413, "payload_too_large", "JSON over max_json_bytes");
  expect_alive(c);
  // Chunked (no Content-Length): counted as it arrives.
  auto r = c.Post(
      upload("chunked.csv"), h,
      [&](std::size_t offset, httplib::DataSink& sink) {
        if (offset < big.size()) {
          sink.write(big.data() + offset, std::min<std::size_t>(8192, big.size() - offset));
        } else {
          sink.done();
        }
        return true;
      },
      "text/csv");
  expect(r, 413, "payload_too_large", "chunked upload over the limit");
  httplib::Client fresh = s.client();
  expect_alive(fresh);
}

TEST_F(Robust, BadJsonUnknownFieldsRoutesMethodsAndHeaders) {
  test::InProcessServer s(config_);
  auto c = s.client();
  const auto h = bearer(key_);
  expect(c.Post("/v1/runs", h, "{\"analyses\": [", "application/json"), 400, "invalid_json",
         "truncated JSON");
  expect(c.Post("/v1/runs", h, "\"a string\"", "application/json"), 400, "invalid_request",
         "not an object");
  expect(c.Post("/v1/runs", h, R"({"analyses": [{"type": "stats"}], "priority": 9})",
                "application/json"),
         400, "invalid_request", "unknown field");
  expect(c.Post("/v1/runs", h, R"({"analyses": "stats"})", "application/json"), 400,
         "invalid_request", "wrong type");
  expect(c.Post("/v1/runs", h, R"({"analyses": [{"type": "teleport"}]})", "application/json"), 400,
         "invalid_request", "unknown analysis");
  expect(c.Get("/v1/nothing", h), 404, "route_not_found", "unknown route");
  expect(c.Get("/v1/tasks/", h), 404, "route_not_found", "trailing slash");
  auto r = c.Put("/v1/library/stats", h, "{}", "application/json");
  expect(r, 405, "method_not_allowed", "PUT on a GET route");
  EXPECT_EQ(r->get_header_value("Allow"), "GET");
  expect(c.Delete("/v1/recordings", h), 405, "method_not_allowed", "DELETE on recordings");
  expect(c.Get("/health?x=1"), 400, "unknown_parameter", "a parameter /health does not take");
  expect(c.Delete("/v1/keys/1", h, "{\"x\": 1}", "application/json"), 403, "insufficient_scope",
         "scope is checked before the (unexpected) body matters");
  httplib::Headers many = h;
  for (int i = 0; i < 150; ++i) many.emplace("X-Pad-" + std::to_string(i), "v");
  expect(c.Get("/v1/library/stats", many), 431, "headers_too_large", "150 headers");
  httplib::Headers fat = h;
  for (int i = 0; i < 3; ++i) fat.emplace("X-Fat-" + std::to_string(i), std::string(7000, 'f'));
  expect(c.Get("/v1/library/stats", fat), 431, "headers_too_large", "21 KB of headers");
  expect_alive(c);
}

TEST_F(Robust, SlowClientsAreDroppedWhileOthersAreServed) {
  test::InProcessServer s(config_);
  auto c = s.client();
  const auto t0 = test::Clock::now();
  // Headers that never end.
  test::RawClient stalled_headers(s.port());
  stalled_headers.send("GET /v1/library/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ");
  // A body shorter than announced.
  test::RawClient stalled_body(s.port());
  stalled_body.send(
      "POST /v1/recordings?filename=slow.csv HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer " +
      key_ + "\r\nContent-Length: 1000\r\n\r\ntime,a\n0,1\n");
  // Meanwhile everyone else is served.
  for (int i = 0; i < 5; ++i) expect_alive(c);
  // Each slow client gets its answer (or its connection closed) after the read timeout.
  const auto deadline = test::Clock::now() + 30s;
  const std::string a = stalled_headers.receive(deadline);
  const std::string b = stalled_body.receive(deadline);
  EXPECT_TRUE(a.empty() || a.rfind("HTTP/1.1 4", 0) == 0) << a;
  EXPECT_EQ(b.rfind("HTTP/1.1 400", 0), 0u) << b;
  EXPECT_NE(b.find("incomplete_body"), std::string::npos) << b;
  EXPECT_GE(test::Clock::now() - t0, std::chrono::milliseconds(900));  // not before the timeout
  expect_alive(c);
}

TEST_F(Robust, DeleteWithoutContentLengthIsAnsweredAtOnce) {
  // Some clients send DELETE with neither Content-Length nor a body; cpp-httplib alone would wait
  // for a body until the read timeout.
  config_.read_timeout_seconds = 30;
  test::InProcessServer s(config_);
  test::RawClient raw(s.port());
  raw.send(
      "DELETE /v1/tasks/ffffffffffffffffffffffffffffffff HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer " +
      key_ + "\r\n\r\n");
  const auto t0 = test::Clock::now();
  const std::string r = raw.receive(t0 + 10s);
  EXPECT_LT(test::Clock::now() - t0, 10s);
  EXPECT_EQ(r.rfind("HTTP/1.1 404", 0), 0u) << r;
  EXPECT_NE(r.find("task_not_found"), std::string::npos) << r;
}

TEST_F(Robust, GarbageOnTheWireGets400) {
  test::InProcessServer s(config_);
  test::RawClient raw(s.port());
  raw.send("HELLO THERE\r\n\r\n");
  const std::string r = raw.receive(test::Clock::now() + 10s);
  EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
  EXPECT_NE(r.find("\"code\":\"bad_request\""), std::string::npos) << r;
  auto c = s.client();
  expect_alive(c);
}

}  // namespace
}  // namespace swingpipe::server
