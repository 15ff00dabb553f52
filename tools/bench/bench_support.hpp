#pragma once
// Shared inputs for `swingpipe bench` cases: deterministic random batches (benchmarks compare
// backends and peers on the same data, so the seed is fixed here, unlike in tests).
#include <cstdint>
#include <random>

#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::bench {

/// `count` series of `length` frames and `channels` channels, values in [-1, 1).
template <class T>
Batch<T> random_batch(int64_t count, int64_t length, int channels = 1, uint64_t seed = 42) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  Batch<T> batch(channels);
  batch.values.reserve(static_cast<std::size_t>(count * length * channels));
  for (int64_t s = 0; s < count; ++s) {
    for (int64_t i = 0; i < length * channels; ++i)
      batch.values.push_back(static_cast<T>(dist(rng)));
    batch.offsets.push_back(batch.offsets.back() + length);
  }
  return batch;
}

}  // namespace swingpipe::bench
