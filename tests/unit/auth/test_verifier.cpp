// The keys table and verification: prefix lookup, legacy fallback, cache, revocation, expiry,
// usage written in batches.
#include <thread>

#include "auth_test_util.hpp"
#include "swingpipe/host/auth.hpp"

namespace swingpipe::auth {
namespace {

constexpr int kCost = 4;  // fast hashes for tests; cost 12 is covered by the Python fixture

Verifier::Options no_timer(std::chrono::milliseconds ttl = std::chrono::minutes(1)) {
  Verifier::Options o;
  o.cache_ttl = ttl;
  o.sync_interval = std::chrono::milliseconds(0);  // sync() only when the test says
  return o;
}

class Auth : public ::testing::Test {
 protected:
  std::filesystem::path db() const { return dir_ / "keys.db"; }
  test::TempDir dir_;
};

TEST_F(Auth, CreateListFindRevoke) {
  KeyStore store(db());
  const auto a = store.create("ci", kRead | kRun, std::nullopt, "ann@example.org", kCost);
  const auto b = store.create("admin", kAdmin, auth::now_unix() + 3600, "bob@example.org", kCost);
  EXPECT_TRUE(is_well_formed(a.secret));
  EXPECT_NE(a.secret, b.secret);
  const auto keys = store.list();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].name, "ci");
  EXPECT_EQ(keys[0].user_email, "ann@example.org");
  EXPECT_EQ(keys[0].scopes, kRead | kRun);
  EXPECT_TRUE(keys[0].active);
  EXPECT_FALSE(keys[0].legacy);
  EXPECT_TRUE(keys[0].bcrypt);
  EXPECT_FALSE(keys[0].expires_at);
  ASSERT_TRUE(keys[1].expires_at);
  EXPECT_NEAR(static_cast<double>(*keys[1].expires_at), auth::now_unix() + 3600.0, 5);
  // The secret is not stored: only its hash and prefix hash.
  EXPECT_EQ(test::sql_value(db(), "SELECT count(*) FROM api_keys WHERE key_hash LIKE ?",
                            {"%" + a.secret.substr(4) + "%"}),
            "0");
  EXPECT_EQ(test::sql_value(db(), "SELECT prefix_hash FROM api_keys WHERE id = ?", {a.info.id}),
            prefix_hash(a.secret));
  EXPECT_TRUE(store.revoke(a.info.id));
  EXPECT_FALSE(store.find(a.info.id)->active);
  EXPECT_FALSE(store.revoke(999));
  EXPECT_EQ(store.revoked_since(auth::now_unix() - 5), std::vector<int64_t>{a.info.id});
  EXPECT_THROW(store.create("", kRead, std::nullopt, "x@y", kCost), InputError);
  EXPECT_THROW(store.create("n", 0, std::nullopt, "x@y", kCost), InputError);
  EXPECT_THROW(KeyStore(dir_ / "absent.db", {.must_exist = true}), NotFoundError);
}

TEST_F(Auth, VerificationOutcomes) {
  KeyStore store(db());
  const auto good = store.create("good", kRead, std::nullopt, "a@x", kCost);
  const auto gone = store.create("gone", kRead, auth::now_unix() - 1, "a@x", kCost);
  const auto revoked = store.create("revoked", kRead, std::nullopt, "a@x", kCost);
  store.revoke(revoked.info.id);
  Verifier v(store, no_timer());

  const auto ok = v.verify(good.secret);
  EXPECT_EQ(ok.outcome, Outcome::ok);
  EXPECT_EQ(ok.principal.key_id, good.info.id);
  EXPECT_EQ(ok.principal.scopes, kRead);
  EXPECT_FALSE(ok.cached);
  EXPECT_EQ(v.bcrypt_calls(), 1);
  // Repeated: from the cache, no bcrypt.
  const auto again = v.verify(good.secret);
  EXPECT_EQ(again.outcome, Outcome::ok);
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(v.bcrypt_calls(), 1);

  EXPECT_EQ(v.verify("").outcome, Outcome::missing);
  EXPECT_EQ(v.verify("Bearer x").outcome, Outcome::malformed);
  EXPECT_EQ(v.verify(good.secret.substr(0, 40)).outcome, Outcome::malformed);
  EXPECT_EQ(v.bcrypt_calls(), 1);  // malformed keys never reach the database

  // Unknown prefix: no candidate, no bcrypt at all (there are no legacy rows).
  EXPECT_EQ(v.verify(generate_key()).outcome, Outcome::invalid);
  EXPECT_EQ(v.bcrypt_calls(), 1);
  // The right prefix with a wrong secret: one bcrypt, invalid.
  std::string wrong = good.secret;
  wrong[40] = wrong[40] == 'A' ? 'B' : 'A';
  EXPECT_EQ(v.verify(wrong).outcome, Outcome::invalid);
  EXPECT_EQ(v.bcrypt_calls(), 2);

  EXPECT_EQ(v.verify(gone.secret).outcome, Outcome::expired);
  EXPECT_EQ(v.verify(revoked.secret).outcome, Outcome::revoked);
}

TEST_F(Auth, RevokeDropsTheCachedKeyAtOnce) {
  KeyStore store(db());
  const auto k = store.create("k", kRead, std::nullopt, "a@x", kCost);
  Verifier v(store, no_timer());
  ASSERT_EQ(v.verify(k.secret).outcome, Outcome::ok);
  ASSERT_TRUE(v.verify(k.secret).cached);
  EXPECT_EQ(v.cached_keys(), 1u);
  EXPECT_TRUE(v.revoke(k.info.id));
  EXPECT_EQ(v.cached_keys(), 0u);
  EXPECT_EQ(v.verify(k.secret).outcome, Outcome::revoked);
}

TEST_F(Auth, RevocationByAnotherProcessReachesTheCacheOnSync) {
  KeyStore store(db());
  const auto k = store.create("k", kRead, std::nullopt, "a@x", kCost);
  Verifier v(store, no_timer());
  ASSERT_EQ(v.verify(k.secret).outcome, Outcome::ok);
  KeyStore other(db());  // another connection, as `swingpipe keys revoke` in another process
  ASSERT_TRUE(other.revoke(k.info.id));
  EXPECT_TRUE(v.verify(k.secret).cached);  // until the next sync, the cache answers
  v.sync();
  EXPECT_EQ(v.verify(k.secret).outcome, Outcome::revoked);
}

TEST_F(Auth, ExpiryIsCheckedOnCachedKeysToo) {
  KeyStore store(db());
  const auto k = store.create("k", kRead, auth::now_unix() + 3600, "a@x", kCost);
  Verifier v(store, no_timer());
  ASSERT_EQ(v.verify(k.secret).outcome, Outcome::ok);
  test::sql(db(), "UPDATE api_keys SET expires_at = '2001-01-01 00:00:00.000000'");
  // The cache stored the old expiry: still ok until it is re-read, then expired.
  Verifier fresh(store, no_timer());
  EXPECT_EQ(fresh.verify(k.secret).outcome, Outcome::expired);
  // An unreadable expiry is refused, never taken as "no expiry".
  test::sql(db(), "UPDATE api_keys SET expires_at = 'next tuesday'");
  Verifier third(store, no_timer());
  EXPECT_EQ(third.verify(k.secret).outcome, Outcome::expired);
}

TEST_F(Auth, LegacyRowsAreFoundByTheFallbackAndIndexedOnFirstUse) {
  KeyStore store(db());
  for (int i = 0; i < 20; ++i)
    store.create("k" + std::to_string(i), kRead, std::nullopt, "a@x", kCost);
  const std::string legacy_key = generate_key();
  const int64_t legacy_id = store.insert_legacy(bcrypt_hash(legacy_key, kCost), "old", "old@x");
  store.insert_legacy(bcrypt_hash(generate_key(), kCost), "old2", "old@x");
  store.insert_legacy("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha",
                      "old@x");  // an old SHA-256 row: never tried with bcrypt
  ASSERT_TRUE(store.find(legacy_id)->legacy);

  Verifier v(store, no_timer());
  // An unknown key costs one bcrypt per legacy bcrypt row, not one per key in the table.
  EXPECT_EQ(v.verify(generate_key()).outcome, Outcome::invalid);
  EXPECT_EQ(v.bcrypt_calls(), 2);
  const auto first = v.verify(legacy_key);
  EXPECT_EQ(first.outcome, Outcome::ok);
  EXPECT_EQ(first.principal.key_id, legacy_id);
  EXPECT_FALSE(store.find(legacy_id)->legacy);  // its prefix hash was written
  EXPECT_EQ(test::sql_value(db(), "SELECT prefix_hash FROM api_keys WHERE id = ?", {legacy_id}),
            prefix_hash(legacy_key));
  // A fresh verifier (empty cache) now finds it through the index: exactly one bcrypt.
  Verifier fresh(store, no_timer());
  EXPECT_EQ(fresh.verify(legacy_key).outcome, Outcome::ok);
  EXPECT_EQ(fresh.bcrypt_calls(), 1);
}

TEST_F(Auth, PythonBcryptRowsVerifyAsLegacyAndIndexedRows) {
  KeyStore store(db());
  const auto keys = test::python_keys();
  std::vector<int64_t> ids;
  for (const auto& k : keys) ids.push_back(store.insert_legacy(k.hash, "py", "py@x"));
  // One of them indexed the way the Python suite's migration script does (prefix hash set).
  test::sql_bound(db(), "UPDATE api_keys SET prefix_hash = ? WHERE id = ?",
                  {keys[0].prefix_hash, ids[0]});
  Verifier v(store, no_timer());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto r = v.verify(keys[i].key);
    EXPECT_EQ(r.outcome, Outcome::ok) << keys[i].hash;
    EXPECT_EQ(r.principal.key_id, ids[i]);
    EXPECT_EQ(r.principal.scopes, kDefaultScopes);  // legacy rows: read,run
  }
}

TEST_F(Auth, UsageIsWrittenInBatches) {
  KeyStore store(db());
  const auto a = store.create("a", kRead, std::nullopt, "a@x", kCost);
  const auto b = store.create("b", kRead, std::nullopt, "a@x", kCost);
  Verifier v(store, no_timer());
  for (int i = 0; i < 25; ++i) ASSERT_EQ(v.verify(a.secret).outcome, Outcome::ok);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(v.verify(b.secret).outcome, Outcome::ok);
  EXPECT_EQ(v.verify(generate_key()).outcome, Outcome::invalid);  // not counted
  // Nothing written per request...
  EXPECT_EQ(store.find(a.info.id)->usage_count, 0);
  EXPECT_FALSE(store.find(a.info.id)->last_used);
  v.sync();  // ...then one transaction for all of it
  EXPECT_EQ(store.find(a.info.id)->usage_count, 25);
  EXPECT_EQ(store.find(b.info.id)->usage_count, 3);
  ASSERT_TRUE(store.find(a.info.id)->last_used);
  EXPECT_NEAR(static_cast<double>(*store.find(a.info.id)->last_used),
              static_cast<double>(now_unix()), 5);
  v.sync();  // nothing pending: unchanged
  EXPECT_EQ(store.find(a.info.id)->usage_count, 25);
  v.verify(a.secret);
  {
    Verifier w(store, no_timer());
    w.verify(b.secret);
  }  // a verifier writes what is pending when it goes away
  EXPECT_EQ(store.find(b.info.id)->usage_count, 4);
}

TEST_F(Auth, CacheHasABoundAndATtl) {
  KeyStore store(db());
  std::vector<std::string> secrets;
  for (int i = 0; i < 40; ++i)
    secrets.push_back(
        store.create("k" + std::to_string(i), kRead, std::nullopt, "a@x", kCost).secret);
  Verifier::Options bounded = no_timer();
  bounded.cache_capacity = 16;
  Verifier v(store, bounded);
  for (const auto& s : secrets) ASSERT_EQ(v.verify(s).outcome, Outcome::ok);
  EXPECT_LE(v.cached_keys(), 16u);
  EXPECT_GE(v.cached_keys(), 1u);
  // TTL 0: every request verifies against the database again.
  Verifier uncached(store, no_timer(std::chrono::milliseconds(0)));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(uncached.verify(secrets[0]).outcome, Outcome::ok);
  EXPECT_EQ(uncached.bcrypt_calls(), 3);
}

TEST_F(Auth, ConcurrentFirstRequestsShareOneBcrypt) {
  KeyStore store(db());
  const auto k = store.create("k", kRead, std::nullopt, "a@x", 8);  // slow enough to overlap
  Verifier v(store, no_timer());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) ok += v.verify(k.secret).outcome == Outcome::ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_EQ(v.bcrypt_calls(), 1);
  v.sync();
  EXPECT_EQ(store.find(k.info.id)->usage_count, 160);
}

TEST_F(Auth, TheTimerThreadSyncsUsage) {
  KeyStore store(db());
  const auto k = store.create("k", kRead, std::nullopt, "a@x", kCost);
  Verifier::Options o;
  o.sync_interval = std::chrono::milliseconds(20);
  Verifier v(store, o);
  ASSERT_EQ(v.verify(k.secret).outcome, Outcome::ok);
  // Poll the database against a deadline: the timer writes within its interval.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (store.find(k.info.id)->usage_count == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_EQ(store.find(k.info.id)->usage_count, 1);
}

}  // namespace
}  // namespace swingpipe::auth
