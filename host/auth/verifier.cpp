// Verification: verified-key cache (sharded LRU, TTL, keyed by SHA-256 of the key), prefix-indexed
// lookup, one bcrypt per concurrent first use of a key, usage counted in memory and written in
// batches by a timer thread (condition variable with a deadline).
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstring>
#include <future>
#include <list>
#include <unordered_map>

#include "swingpipe/host/auth.hpp"

namespace swingpipe::auth {
namespace {

using Clock = std::chrono::steady_clock;

struct DigestHash {
  std::size_t operator()(const Digest& d) const {
    std::size_t h = 0;
    std::memcpy(&h, d.data(), sizeof h);  // the digest is uniformly distributed already
    return h;
  }
};

struct DigestEqual {
  bool operator()(const Digest& a, const Digest& b) const {
    return constant_time_equal({reinterpret_cast<const char*>(a.data()), a.size()},
                               {reinterpret_cast<const char*>(b.data()), b.size()});
  }
};

}  // namespace

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::ok:
      return "ok";
    case Outcome::missing:
      return "missing";
    case Outcome::malformed:
      return "malformed";
    case Outcome::invalid:
      return "invalid";
    case Outcome::revoked:
      return "revoked";
    case Outcome::expired:
      return "expired";
  }
  return "invalid";
}

// ---- the verified-key cache
// -----------------------------------------------------------------------

struct Verifier::Cache {
  struct Entry {
    Digest digest;
    Principal principal;
    std::optional<int64_t> expires_at;
    Clock::time_point stored;
  };
  struct Shard {
    std::mutex mutex;
    std::list<Entry> lru;  ///< most recently used first
    std::unordered_map<Digest, std::list<Entry>::iterator, DigestHash, DigestEqual> index;
  };
  static constexpr std::size_t kShards = 16;

  Cache(std::size_t capacity, std::chrono::milliseconds time_to_live)
      : per_shard((capacity + kShards - 1) / kShards), ttl(time_to_live) {}

  Shard& shard(const Digest& d) { return shards[DigestHash{}(d) % kShards]; }

  std::optional<Entry> get(const Digest& d, Clock::time_point now) {
    if (per_shard == 0) return std::nullopt;
    Shard& s = shard(d);
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(d);
    if (it == s.index.end()) return std::nullopt;
    if (now - it->second->stored >= ttl) {  // stale: verify against the database again
      s.lru.erase(it->second);
      s.index.erase(it);
      return std::nullopt;
    }
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    return *it->second;
  }

  /// Stores unless a revocation happened since `epoch` was read (checked under the shard lock, so
  /// a concurrent forget() either sees the entry or makes this a no-op).
  void put(Entry e, uint64_t epoch) {
    if (per_shard == 0) return;
    Shard& s = shard(e.digest);
    std::lock_guard lock(s.mutex);
    if (revocations.load() != epoch) return;
    auto it = s.index.find(e.digest);
    if (it != s.index.end()) {
      *it->second = std::move(e);
      s.lru.splice(s.lru.begin(), s.lru, it->second);
      return;
    }
    s.lru.push_front(std::move(e));
    s.index.emplace(s.lru.front().digest, s.lru.begin());
    if (s.lru.size() > per_shard) {
      s.index.erase(s.lru.back().digest);
      s.lru.pop_back();
    }
  }

  void erase(const Digest& d) {
    Shard& s = shard(d);
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(d);
    if (it == s.index.end()) return;
    s.lru.erase(it->second);
    s.index.erase(it);
  }

  void forget(int64_t key_id) {
    ++revocations;
    for (auto& s : shards) {
      std::lock_guard lock(s.mutex);
      for (auto it = s.lru.begin(); it != s.lru.end();) {
        if (it->principal.key_id == key_id) {
          s.index.erase(it->digest);
          it = s.lru.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  std::size_t size() {
    std::size_t n = 0;
    for (auto& s : shards) {
      std::lock_guard lock(s.mutex);
      n += s.lru.size();
    }
    return n;
  }

  const std::size_t per_shard;
  const std::chrono::milliseconds ttl;
  std::array<Shard, kShards> shards;
  std::atomic<uint64_t> revocations{0};
  /// Keys being verified right now: later requests for the same key wait for that one bcrypt.
  std::mutex inflight_mutex;
  std::unordered_map<Digest, std::shared_future<Verdict>, DigestHash, DigestEqual> inflight;
  std::atomic<int64_t> bcrypt_calls{0};
};

// ---- usage, written in batches
// --------------------------------------------------------------------

struct Verifier::Usage {
  std::mutex mutex;
  std::unordered_map<int64_t, UsageDelta> pending;

  void count(int64_t key_id) {
    const int64_t now = now_unix();
    std::lock_guard lock(mutex);
    UsageDelta& d = pending[key_id];
    d.key_id = key_id;
    ++d.count;
    d.last_used = now;
  }
  std::vector<UsageDelta> take() {
    std::lock_guard lock(mutex);
    std::vector<UsageDelta> out;
    out.reserve(pending.size());
    for (auto& [id, d] : pending) out.push_back(d);
    pending.clear();
    return out;
  }
  void give_back(const std::vector<UsageDelta>& deltas) {
    std::lock_guard lock(mutex);
    for (const auto& d : deltas) {
      UsageDelta& p = pending[d.key_id];
      p.key_id = d.key_id;
      p.count += d.count;
      p.last_used = std::max(p.last_used, d.last_used);
    }
  }
};

// ---- the verifier
// ----------------------------------------------------------------------------------

Verifier::Verifier(KeyStore& store, Options options)
    : store_(store),
      options_(options),
      cache_(std::make_unique<Cache>(options.cache_capacity, options.cache_ttl)),
      usage_(std::make_unique<Usage>()),
      revocations_checked_at_(now_unix()) {
  if (options_.sync_interval.count() > 0) sync_thread_ = std::thread([this] { sync_loop(); });
}

Verifier::~Verifier() {
  {
    std::lock_guard lock(sync_mutex_);
    stopping_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  try {
    sync();
  } catch (const std::exception& e) {
    spdlog::error("API key usage could not be written: {}", e.what());
  }
}

Verdict Verifier::verify(std::string_view key) {
  if (key.empty()) return {Outcome::missing, {}, false};
  if (!is_well_formed(key)) return {Outcome::malformed, {}, false};
  const Digest digest = key_digest(key);
  if (auto hit = cache_->get(digest, Clock::now())) {
    if (hit->expires_at && *hit->expires_at <= now_unix()) {
      cache_->erase(digest);
      return {Outcome::expired, {}, true};
    }
    usage_->count(hit->principal.key_id);
    return {Outcome::ok, hit->principal, true};
  }

  // One bcrypt per key at a time: concurrent first requests with the same key wait for it.
  std::promise<Verdict> promise;
  std::shared_future<Verdict> result;
  bool leader = false;
  {
    std::lock_guard lock(cache_->inflight_mutex);
    auto it = cache_->inflight.find(digest);
    if (it != cache_->inflight.end()) {
      result = it->second;
    } else {
      result = promise.get_future().share();
      cache_->inflight.emplace(digest, result);
      leader = true;
    }
  }
  if (leader) {
    auto done = [&] {
      std::lock_guard lock(cache_->inflight_mutex);
      cache_->inflight.erase(digest);
    };
    try {
      const uint64_t epoch = cache_->revocations.load();
      const std::string prefix = prefix_hash(key);
      Verdict v{Outcome::invalid, {}, false};
      for (const Candidate& c : store_.candidates(prefix)) {
        ++cache_->bcrypt_calls;
        if (!bcrypt_verify(key, c.key_hash)) continue;
        if (!c.active || !c.user_active) {
          v.outcome = Outcome::revoked;
        } else if (c.expiry_unreadable || (c.expires_at && *c.expires_at <= now_unix())) {
          if (c.expiry_unreadable)
            spdlog::error("API key {}: expires_at is not a time; the key is refused", c.id);
          v.outcome = Outcome::expired;
        } else {
          if (c.legacy) store_.set_prefix_hash(c.id, prefix);
          v = {Outcome::ok, {c.id, c.name, c.scopes}, false};
          cache_->put({digest, v.principal, c.expires_at, Clock::now()}, epoch);
        }
        break;
      }
      promise.set_value(v);
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
    done();
  }
  const Verdict v = result.get();  // rethrows the leader's failure
  if (v.outcome == Outcome::ok) usage_->count(v.principal.key_id);
  return v;
}

bool Verifier::revoke(int64_t key_id) {
  const bool found = store_.revoke(key_id);
  cache_->forget(key_id);
  return found;
}

void Verifier::forget(int64_t key_id) {
  cache_->forget(key_id);
}

void Verifier::sync() {
  std::lock_guard run(sync_run_mutex_);
  auto deltas = usage_->take();
  try {
    store_.record_usage(deltas);
  } catch (...) {
    usage_->give_back(deltas);  // counted again next time
    throw;
  }
  const int64_t checked_at = now_unix();
  for (int64_t id : store_.revoked_since(revocations_checked_at_)) cache_->forget(id);
  revocations_checked_at_ = checked_at;
}

void Verifier::sync_loop() {
  std::unique_lock lock(sync_mutex_);
  while (!stopping_) {
    const auto deadline = Clock::now() + options_.sync_interval;
    sync_cv_.wait_until(lock, deadline, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    try {
      sync();
    } catch (const std::exception& e) {
      spdlog::error("API keys: {}", e.what());
    }
    lock.lock();
  }
}

std::size_t Verifier::cached_keys() const {
  return cache_->size();
}

int64_t Verifier::bcrypt_calls() const {
  return cache_->bcrypt_calls.load();
}

}  // namespace swingpipe::auth
