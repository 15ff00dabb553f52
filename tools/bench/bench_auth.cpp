// API key verification latency with 1, 1 000 and 100 000 keys in the table: the uncached path
// (prefix-indexed lookup + bcrypt) and the cached path. The measured key is a real cost-12 (or
// cost-4) bcrypt hash; the other rows are filled directly with distinct prefix hashes and
// bcrypt-shaped hashes that are never verified (they are not candidates), so filling 100 000 rows
// takes a second instead of hours of bcrypt. `swingpipe bench auth`.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>

#include "swingpipe/host/auth.hpp"
#include "swingpipe/host/io.hpp"

namespace {

using namespace swingpipe;

struct KeyTable {
  std::filesystem::path dir;
  std::unique_ptr<auth::KeyStore> store;
  std::string secret;
  ~KeyTable() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

void fill(const std::filesystem::path& db, int64_t rows) {
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) throw std::runtime_error("open " + db.string());
  sqlite3_exec(h, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(h,
                     "INSERT INTO api_keys(user_id, key_hash, name, is_active, usage_count, "
                     "prefix_hash, scopes) VALUES (1, ?1, 'filler', 1, 0, ?2, 'read')",
                     -1, &s, nullptr);
  std::mt19937_64 rng(42);
  static constexpr char kB64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (int64_t i = 0; i < rows; ++i) {
    std::string hash = "$2b$12$";
    for (int c = 0; c < 53; ++c) hash += kB64[rng() % 64];
    const std::string prefix = std::to_string(rng()) + "-" + std::to_string(i);
    const std::string ph = io::sha256_hex(prefix.data(), prefix.size());
    sqlite3_bind_text(s, 1, hash.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, ph.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(h));
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(h);
}

/// One table per (size, cost), built on first use and kept for the process.
KeyTable& table(int64_t keys, int cost) {
  static std::map<std::pair<int64_t, int>, std::unique_ptr<KeyTable>> tables;
  auto& t = tables[{keys, cost}];
  if (t) return *t;
  t = std::make_unique<KeyTable>();
  std::string tmpl = (std::filesystem::temp_directory_path() / "swingpipe-bench-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  t->dir = tmpl;
  t->store = std::make_unique<auth::KeyStore>(t->dir / "keys.db");
  t->secret = t->store->create("measured", auth::kRead, std::nullopt, "bench@x", cost).secret;
  fill(t->dir / "keys.db", keys - 1);
  return *t;
}

void auth_verify_uncached(benchmark::State& state) {
  const int64_t keys = state.range(0);
  const int cost = static_cast<int>(state.range(1));
  KeyTable& t = table(keys, cost);
  auth::Verifier::Options o;
  o.cache_capacity = 0;  // every verification: the indexed query and one bcrypt
  o.sync_interval = std::chrono::milliseconds(0);
  auth::Verifier v(*t.store, o);
  for (auto _ : state) {
    const auto r = v.verify(t.secret);
    if (r.outcome != auth::Outcome::ok) state.SkipWithError("the key did not verify");
  }
  state.counters["bcrypt/verify"] =
      static_cast<double>(v.bcrypt_calls()) / static_cast<double>(state.iterations());
}
BENCHMARK(auth_verify_uncached)
    ->Name("auth/verify_uncached")
    ->ArgNames({"keys", "cost"})
    ->Args({1, 12})
    ->Args({1000, 12})
    ->Args({100000, 12})
    ->Args({1, 4})
    ->Args({1000, 4})
    ->Args({100000, 4})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void auth_verify_cached(benchmark::State& state) {
  KeyTable& t = table(state.range(0), 4);
  auth::Verifier::Options o;
  o.sync_interval = std::chrono::milliseconds(0);
  auth::Verifier v(*t.store, o);
  v.verify(t.secret);  // warm the cache
  for (auto _ : state) benchmark::DoNotOptimize(v.verify(t.secret));
  state.counters["bcrypt"] = static_cast<double>(v.bcrypt_calls());
}
BENCHMARK(auth_verify_cached)
    ->Name("auth/verify_cached")
    ->ArgNames({"keys"})
    ->Arg(1)
    ->Arg(100000)
    ->Unit(benchmark::kNanosecond)
    ->UseRealTime();

}  // namespace
