#pragma once
// Lag-matrix rules shared by the CPU backend and the CUDA kernels (lag.hpp): the lag window, where
// lag k sits in a circular correlation buffer, which peak wins, and how a pair's peak becomes the
// entries of L and C. CPU tests exercise these functions directly.
#include <cmath>
#include <cstdint>
#include <limits>

#include "hd.hpp"  // the same folder: tests include this header by its path
#include "swingpipe/kernels/lag.hpp"

namespace swingpipe::lag::detail {

/// The largest |lag| used for series of length m: min(max_lag, m - 1), all lags when max_lag < 0.
SP_HD int64_t effective_max_lag(int64_t m, int64_t max_lag) {
  if (m <= 0) return 0;
  const int64_t full = m - 1;
  return (max_lag < 0 || max_lag > full) ? full : max_lag;
}

/// Index of lag k (|k| < nfft) in a circular correlation buffer of nfft values.
SP_HD int64_t lag_index(int64_t k, int64_t nfft) {
  return k < 0 ? k + nfft : k;
}

/// Peaks closer than this to the maximum (relative to sqrt(sum x_i^2 * sum x_j^2), i.e. in units
/// of the normalized correlation) count as ties and go to the smallest lag, as numpy.argmax does
/// for exact ties: FFT rounding (~1e-15 in float64, ~1e-7..1e-6 in float32 at these sizes) must
/// not decide between two lags that exact arithmetic finds equal.
template <class T>
SP_HD double tie_tolerance() {
  return sizeof(T) == 4 ? 2e-6 : 1e-12;
}

/// Row i and column j (i < j) of the p-th pair of n channels, pairs in row-major upper-triangle
/// order: (0,1), (0,2), ..., (0,n-1), (1,2), ...
SP_HD void pair_of(int64_t p, int n, int& i, int& j) {
  int row = 0;
  int64_t first = 0;  // index of pair (row, row + 1)
  while (p >= first + (n - 1 - row)) {
    first += n - 1 - row;
    ++row;
  }
  i = row;
  j = row + 1 + static_cast<int>(p - first);
}

/// What one channel contributes to its pairs (over the m samples a pair uses). Backends scale
/// each channel by a power of two before transforming it (exact, and free of overflow for any
/// finite input); `energy` is in those scaled units, `std` in the input's.
struct ChannelInfo {
  double energy = 0;   ///< sum of squares after mean removal (scaled)
  double std = 0;      ///< population standard deviation, input units
  bool finite = true;  ///< no NaN or inf among the samples
  int64_t length = 0;  ///< m

  /// std >= min_std (lag.hpp: kMinStd): the channel is not constant.
  SP_HD bool varies(double min_std) const { return length > 0 && finite && std >= min_std; }
};

/// The power-of-two exponent e that brings max|x| = amax into [0.5, 1): x * 2^-e. 0 for amax 0.
inline int scale_exponent(double amax) {
  if (!(amax > 0) || !std::isfinite(amax)) return 0;
  int e = 0;
  std::frexp(amax, &e);
  return e;
}

/// The entries (L in samples, C) for pair (i, j) from its peak: k = argmax lag, peak = c[k].
/// NaN when either channel is not finite or the pair is empty; lag 0 and C NaN when either is
/// constant.
struct PairEntry {
  double lag_samples;  ///< L[i,j] in samples (= -k); L[j,i] = -L[i,j] (k)
  double mirror;       ///< L[j,i] in samples, +0.0 for lag 0 (never -0.0)
  double correlation;
};

SP_HD PairEntry pair_entry(const ChannelInfo& a, const ChannelInfo& b, int64_t k, double peak,
                           double min_std) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!a.finite || !b.finite || a.length == 0 || b.length == 0) return {nan, nan, nan};
  if (!a.varies(min_std) || !b.varies(min_std)) return {0.0, 0.0, nan};
  return {static_cast<double>(-k), static_cast<double>(k), peak / std::sqrt(a.energy * b.energy)};
}

/// An n x n Matrix with L = 0 and C = NaN everywhere (pairs and the diagonal are filled after).
inline Matrix empty_matrix(int n) {
  Matrix m;
  m.channels = n;
  const auto cells = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  m.lag_samples.assign(cells, 0.0);
  m.lag_seconds.assign(cells, 0.0);
  m.correlation.assign(cells, std::numeric_limits<double>::quiet_NaN());
  return m;
}

/// Stores pair (i, j) and its mirror (j, i). fs == 0 (unknown): seconds NaN, except lag 0 (0 s).
inline void store_pair(Matrix& m, int i, int j, const PairEntry& e, double fs) {
  const auto n = static_cast<std::size_t>(m.channels);
  const std::size_t ij = static_cast<std::size_t>(i) * n + static_cast<std::size_t>(j);
  const std::size_t ji = static_cast<std::size_t>(j) * n + static_cast<std::size_t>(i);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.lag_samples[ij] = e.lag_samples;
  m.lag_samples[ji] = e.mirror;
  m.lag_seconds[ij] = e.lag_samples == 0 ? 0.0 : fs > 0 ? e.lag_samples / fs : nan;
  m.lag_seconds[ji] = e.mirror == 0 ? 0.0 : fs > 0 ? e.mirror / fs : nan;
  m.correlation[ij] = m.correlation[ji] = e.correlation;
}

/// Diagonal entry of channel i (its full length): L = 0, C = 1 when it varies, NaN otherwise.
inline void store_diagonal(Matrix& m, int i, const ChannelInfo& full) {
  const auto n = static_cast<std::size_t>(m.channels);
  const std::size_t ii = static_cast<std::size_t>(i) * (n + 1);
  m.lag_samples[ii] = 0.0;
  m.lag_seconds[ii] = 0.0;
  m.correlation[ii] = full.varies(kMinStd) ? 1.0 : std::numeric_limits<double>::quiet_NaN();
  if (!full.finite) m.nan_channels.push_back(i);
}

}  // namespace swingpipe::lag::detail
