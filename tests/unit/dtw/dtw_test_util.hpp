#pragma once
// Helpers shared by the DTW unit tests.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "swingpipe/kernels/dtw.hpp"
#include "test_support.hpp"

namespace swingpipe::dtw::test {

using ::swingpipe::test::to_double;

/// Series with the given lengths, `channels` channels, values uniform in [lo, hi).
template <class T>
Batch<T> random_batch(std::mt19937_64& rng, const std::vector<int64_t>& lengths, int channels,
                      double lo = -1, double hi = 1) {
  Batch<T> b(channels);
  for (int64_t n : lengths) {
    const auto v =
        swingpipe::test::random_values<T>(rng, static_cast<std::size_t>(n * channels), lo, hi);
    b.push_back(v, n);
  }
  return b;
}

/// Integer-valued series in {0, .., levels-1}: many exact ties in the cost matrix.
template <class T>
Batch<T> integer_batch(std::mt19937_64& rng, const std::vector<int64_t>& lengths, int channels,
                       int levels) {
  std::uniform_int_distribution<int> d(0, levels - 1);
  Batch<T> b(channels);
  for (int64_t n : lengths) {
    std::vector<T> v(static_cast<std::size_t>(n * channels));
    for (auto& x : v) x = static_cast<T>(d(rng));
    b.push_back(v, n);
  }
  return b;
}

/// SIMD levels this CPU runs (scalar always).
inline std::vector<Simd> supported_levels() {
  std::vector<Simd> v{Simd::scalar};
  if (cpu_supports(Simd::avx2)) v.push_back(Simd::avx2);
  if (cpu_supports(Simd::avx512)) v.push_back(Simd::avx512);
  return v;
}

template <class T>
constexpr double rel_tol() {
  return sizeof(T) == 4 ? 1e-5 : 1e-12;
}

/// |a - b| <= tol * max(|a|, |b|, 1e-30), with inf == inf and NaN == NaN.
inline ::testing::AssertionResult close_rel(double a, double b, double tol) {
  if (std::isnan(a) && std::isnan(b)) return ::testing::AssertionSuccess();
  if (std::isinf(a) || std::isinf(b)) {
    if (a == b) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << a << " != " << b;
  }
  const double scale = std::max({std::fabs(a), std::fabs(b), 1e-30});
  if (std::fabs(a - b) <= tol * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << a << " vs " << b << " (rel diff " << std::fabs(a - b) / scale << " > " << tol << ")";
}

}  // namespace swingpipe::dtw::test
