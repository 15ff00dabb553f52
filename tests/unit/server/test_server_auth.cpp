// The auth matrix over real HTTP on loopback: every kind of key gets its status and code, and no
// response body ever echoes the key presented.
#include "../auth/auth_test_util.hpp"
#include "server_test_util.hpp"

namespace swingpipe::server {
namespace {

using test::bearer;
using test::error_code;
using test::json_of;

class HttpAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = test::test_config(dir_.path());
    test::seed_library(config_.library, 3);
  }
  /// Checks status and code, and that the body does not contain the key (nor its secret part).
  void expect(const httplib::Result& r, int status, const std::string& code, const std::string& key,
              const std::string& what) {
    ASSERT_TRUE(r) << what << ": no response";
    EXPECT_EQ(r->status, status) << what << ": " << r->body;
    EXPECT_EQ(error_code(r), code) << what << ": " << r->body;
    if (key.size() > 8) {
      EXPECT_EQ(r->body.find(key), std::string::npos) << what << " echoes the key";
    }
    if (key.size() > 20) {  // nor its secret part
      EXPECT_EQ(r->body.find(key.substr(key.size() - 20)), std::string::npos) << what;
    }
    if (status == 401) {
      EXPECT_EQ(r->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
    }
  }
  test::TempDir dir_;
  ServerConfig config_;
};

TEST_F(HttpAuth, TheMatrix) {
  const auto reader = test::make_key(config_.keys_database, auth::kRead, std::nullopt, "reader");
  const auto runner = test::make_key(config_.keys_database, auth::kRead | auth::kRun);
  const auto expired =
      test::make_key(config_.keys_database, auth::kRead, auth::now_unix() - 60, "expired");
  const auto revoked = test::make_key(config_.keys_database, auth::kRead, std::nullopt, "revoked");
  auth::KeyStore(config_.keys_database).revoke(revoked.info.id);
  // A legacy row (no prefix hash), and rows with hashes made by Python's bcrypt.
  const std::string legacy_key = auth::generate_key();
  const int64_t legacy_id = auth::KeyStore(config_.keys_database)
                                .insert_legacy(auth::bcrypt_hash(legacy_key, 4), "old", "old@x");
  // The cost-12 ones get their prefix hash (as the Python suite's migration script sets it), so
  // the legacy fallback of the failing requests below does not spend seconds on them.
  const auto py = test::python_keys();
  for (const auto& k : py) {
    const int64_t id = auth::KeyStore(config_.keys_database).insert_legacy(k.hash, "py", "py@x");
    if (k.rounds >= 12)
      test::sql_bound(config_.keys_database, "UPDATE api_keys SET prefix_hash = ? WHERE id = ?",
                      {k.prefix_hash, id});
  }

  test::InProcessServer s(config_);
  auto c = s.client();
  const std::string stats = "/v1/library/stats";

  expect(c.Get(stats), 401, "missing_key", "", "no key");
  expect(c.Get(stats, {{"Authorization", "Bearer "}}), 401, "missing_key", "", "empty bearer");
  for (const std::string& bad :
       {std::string("abc"), std::string("gms_short"), reader.secret.substr(0, 46),
        reader.secret + "x", "xyz_" + reader.secret.substr(4)})
    expect(c.Get(stats, bearer(bad)), 401, "malformed_key", bad, "malformed " + bad);
  expect(c.Get(stats, {{"Authorization", "Basic " + reader.secret}}), 401, "malformed_key",
         reader.secret, "not a bearer token");
  const std::string unknown = auth::generate_key();
  expect(c.Get(stats, bearer(unknown)), 401, "invalid_key", unknown, "unknown prefix");
  std::string wrong = reader.secret;  // right prefix, wrong secret
  wrong[30] = wrong[30] == 'A' ? 'B' : 'A';
  expect(c.Get(stats, bearer(wrong)), 401, "invalid_key", wrong, "wrong secret");
  expect(c.Get(stats, bearer(revoked.secret)), 401, "key_revoked", revoked.secret, "revoked");
  expect(c.Get(stats, bearer(expired.secret)), 401, "key_expired", expired.secret, "expired");

  // Scope: a read key may read, not run; neither may manage keys.
  const std::string run_body = R"({"analyses": [{"type": "stats"}], "ids": [1]})";
  expect(c.Post("/v1/runs", bearer(reader.secret), run_body, "application/json"), 403,
         "insufficient_scope", reader.secret, "read key posting a run");
  expect(c.Get("/v1/keys", bearer(runner.secret)), 403, "insufficient_scope", runner.secret,
         "run key listing keys");

  // The good ones.
  auto ok = c.Get(stats, bearer(reader.secret));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(json_of(ok)["count"], 3);
  ok = c.Get(stats, {{"X-API-Key", reader.secret}});
  EXPECT_EQ(ok->status, 200);
  ok = c.Get(stats, {{"authorization", "bearer " + reader.secret}});  // case-insensitive
  EXPECT_EQ(ok->status, 200);
  ok = c.Get(stats, bearer(legacy_key));
  EXPECT_EQ(ok->status, 200) << "legacy row: " << ok->body;
  EXPECT_FALSE(auth::KeyStore(config_.keys_database).find(legacy_id)->legacy);  // now indexed
  for (const auto& k : py) {
    ok = c.Get(stats, bearer(k.key));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << "Python bcrypt hash " << k.hash << ": " << ok->body;
  }
  // Public endpoints need no key.
  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(c.Get("/openapi.json")->status, 200);
}

TEST_F(HttpAuth, RevokingThroughTheApiTakesEffectAtOnce) {
  const auto admin = test::make_key(config_.keys_database, auth::kAdmin, std::nullopt, "admin");
  test::InProcessServer s(config_);
  auto c = s.client();
  // Create a key through the API; the secret is in that response only.
  auto r = c.Post("/v1/keys", bearer(admin.secret), R"({"name": "ci", "scopes": ["read"]})",
                  "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const auto created = json_of(r);
  const std::string secret = created["secret"];
  const int64_t id = created["key"]["id"];
  EXPECT_TRUE(auth::is_well_formed(secret));
  EXPECT_EQ(created["key"]["scopes"], nlohmann::json::array({"read"}));
  EXPECT_EQ(created["key"]["user"], "tester@example.org");  // the creating admin's user
  // It works, and is now cached.
  EXPECT_EQ(c.Get("/v1/library/stats", bearer(secret))->status, 200);
  EXPECT_EQ(c.Get("/v1/library/stats", bearer(secret))->status, 200);
  // The listing never shows a secret or a hash.
  r = c.Get("/v1/keys", bearer(admin.secret));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body.find(secret), std::string::npos);
  EXPECT_EQ(r->body.find("$2b$"), std::string::npos);
  EXPECT_EQ(json_of(r)["keys"].size(), 2u);
  // Revoke: the very next request is refused (the cache dropped it).
  r = c.Delete("/v1/keys/" + std::to_string(id), bearer(admin.secret));
  ASSERT_EQ(r->status, 200) << r->body;
  expect(c.Get("/v1/library/stats", bearer(secret)), 401, "key_revoked", secret, "after revoke");
  expect(c.Delete("/v1/keys/999", bearer(admin.secret)), 404, "key_not_found", admin.secret,
         "unknown key id");
  expect(c.Post("/v1/keys", bearer(admin.secret), R"({"name": "x", "scopes": ["write"]})",
                "application/json"),
         400, "invalid_request", admin.secret, "unknown scope");
  expect(c.Post("/v1/keys", bearer(admin.secret), R"({"name": "x", "colour": "red"})",
                "application/json"),
         400, "invalid_request", admin.secret, "unknown field");
}

TEST_F(HttpAuth, RateLimitPerKeyAnswers429WithRetryAfter) {
  config_.rate_limit_per_second = 0.5;
  config_.rate_limit_burst = 3;
  const auto a = test::make_key(config_.keys_database, auth::kRead, std::nullopt, "a");
  const auto b = test::make_key(config_.keys_database, auth::kRead, std::nullopt, "b");
  test::InProcessServer s(config_);
  auto c = s.client();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.Get("/v1/library/stats", bearer(a.secret))->status, 200);
  const auto limited = c.Get("/v1/library/stats", bearer(a.secret));
  expect(limited, 429, "rate_limited", a.secret, "over the burst");
  const int retry = std::stoi(limited->get_header_value("Retry-After"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 2);
  // Another key has its own bucket; /health is not limited.
  EXPECT_EQ(c.Get("/v1/library/stats", bearer(b.secret))->status, 200);
  EXPECT_EQ(c.Get("/health")->status, 200);
}

TEST_F(HttpAuth, UsageIsCountedAndWrittenOnShutdown) {
  const auto k = test::make_key(config_.keys_database, auth::kRead);
  {
    test::InProcessServer s(config_);
    auto c = s.client();
    for (int i = 0; i < 7; ++i)
      ASSERT_EQ(c.Get("/v1/library/stats", bearer(k.secret))->status, 200);
  }  // graceful shutdown writes the pending counts
  const auto info = auth::KeyStore(config_.keys_database).find(k.info.id);
  EXPECT_EQ(info->usage_count, 7);
  EXPECT_TRUE(info->last_used);
}

}  // namespace
}  // namespace swingpipe::server
