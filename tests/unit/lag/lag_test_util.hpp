#pragma once
// Inputs shared by the lag tests: channels that are delayed copies of one noisy signal, so every
// lag is known exactly.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "swingpipe/kernels/batch.hpp"
#include "swingpipe/kernels/lag.hpp"
#include "test_support.hpp"

namespace swingpipe::lag::test_util {

/// Channel c(t) = s(t - delay[c]) + noise * e_c(t): an AR(1) signal s (coefficient 0.6: its
/// autocorrelation falls fast, so the cross-correlation has one clear peak even with little
/// overlap) shifted right by delay[c] samples (delays >= 0), plus independent white noise.
/// Channel-major, `length` frames.
inline std::vector<double> delayed_channels(std::mt19937_64& rng, int64_t length,
                                            const std::vector<int64_t>& delay,
                                            double noise = 0.05) {
  int64_t dmax = 0;
  for (const int64_t d : delay) dmax = std::max(dmax, d);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> base(static_cast<std::size_t>(length + dmax));
  double walk = 0;
  for (auto& b : base) {
    walk = 0.6 * walk + normal(rng);
    b = walk;
  }
  std::vector<double> out;
  out.reserve(delay.size() * static_cast<std::size_t>(length));
  for (const int64_t d : delay)
    for (int64_t t = 0; t < length; ++t)
      out.push_back(base[static_cast<std::size_t>(t + dmax - d)] + noise * normal(rng));
  return out;
}

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

/// Every matrix invariant: antisymmetric L (samples and seconds, NaN mirrored), zero diagonal,
/// symmetric C, |C| <= 1 (+ rounding), seconds = samples / fs.
inline ::testing::AssertionResult invariants(const Matrix& m, double fs) {
  const int n = m.channels;
  if (m.lag_samples.size() != static_cast<std::size_t>(n * n) ||
      m.lag_seconds.size() != m.lag_samples.size() || m.correlation.size() != m.lag_samples.size())
    return ::testing::AssertionFailure() << "matrix sizes";
  for (int i = 0; i < n; ++i) {
    if (m.samples(i, i) != 0 || m.seconds(i, i) != 0)
      return ::testing::AssertionFailure() << "diagonal " << i << " is " << m.samples(i, i);
    for (int j = 0; j < n; ++j) {
      const double a = m.samples(i, j), b = m.samples(j, i);
      if (std::isnan(a) != std::isnan(b) || (!std::isnan(a) && a != -b))
        return ::testing::AssertionFailure() << "L not antisymmetric at " << i << "," << j;
      if (!std::isnan(a) && a != std::round(a))
        return ::testing::AssertionFailure() << "lag " << a << " is not an integer";
      if (std::signbit(a) && a == 0)
        return ::testing::AssertionFailure() << "-0 at " << i << "," << j;
      if (!std::isnan(a) && fs > 0 && m.seconds(i, j) != a / fs)
        return ::testing::AssertionFailure() << "seconds != samples / fs at " << i << "," << j;
      const double c = m.corr(i, j), d = m.corr(j, i);
      if (std::isnan(c) != std::isnan(d) || (!std::isnan(c) && c != d))
        return ::testing::AssertionFailure() << "C not symmetric at " << i << "," << j;
      if (!std::isnan(c) && std::fabs(c) > 1 + 1e-6)
        return ::testing::AssertionFailure() << "|C| = " << c << " > 1 at " << i << "," << j;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace swingpipe::lag::test_util
