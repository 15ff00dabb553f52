#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace swingpipe::server {

RateLimiter::RateLimiter(double rate_per_second, double burst)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)) {}

int RateLimiter::acquire(int64_t key_id) {
  return acquire(key_id, std::chrono::steady_clock::now());
}

int RateLimiter::acquire(int64_t key_id, std::chrono::steady_clock::time_point now) {
  if (rate_ <= 0) return 0;
  Shard& s = shards_[static_cast<uint64_t>(key_id) % shards_.size()];
  std::lock_guard lock(s.mutex);
  auto [it, fresh] = s.buckets.try_emplace(key_id);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst_;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
  }
  b.last = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate_)));
}

}  // namespace swingpipe::server
