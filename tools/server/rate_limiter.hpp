#pragma once
// A token bucket per API key: `rate` requests a second on average, bursts up to `burst`.
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace swingpipe::server {

class RateLimiter {
 public:
  /// rate 0 = unlimited.
  RateLimiter(double rate_per_second, double burst);
  /// 0 when the request may go ahead (a token is taken); otherwise the seconds until one is
  /// available (rounded up, at least 1), for Retry-After.
  int acquire(int64_t key_id);
  int acquire(int64_t key_id, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<int64_t, Bucket> buckets;
  };
  double rate_, burst_;
  std::array<Shard, 16> shards_;
};

}  // namespace swingpipe::server
