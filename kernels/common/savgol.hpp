#pragma once
// Per-element Savitzky-Golay application shared by the CPU backend and CUDA kernels: given the
// weight table of one (window, order, deriv) (see stats::SavgolPlan), the value at frame i of a
// series of n >= window frames. Interior frames use the centre row (a convolution); the first and
// last window/2 frames use the rows that evaluate the polynomial fitted to the first / last window
// at their position (scipy.signal.savgol_filter(mode="interp")).
#include <cstdint>

#include "common/hd.hpp"

namespace swingpipe::stats::detail {

/// Dot product of one weight row with `window` consecutive samples.
template <class T>
SP_HD double savgol_dot(const double* row, int window, const T* xs) {
  double acc = 0;
  for (int j = 0; j < window; ++j) acc += row[j] * static_cast<double>(xs[j]);
  return acc;
}

/// Per-sample derivative at frame i (0 <= i < n, n >= window) using the `window` x `window`
/// table `weights` (row r evaluates at window position r; row window/2 is the centre).
template <class T>
SP_HD double savgol_at(const double* weights, int window, const T* x, int64_t n, int64_t i) {
  const int half = window / 2;
  int64_t start = i - half;
  int row = half;
  if (i < half) {
    start = 0;
    row = static_cast<int>(i);
  } else if (i >= n - half) {
    start = n - window;
    row = static_cast<int>(i - start);
  }
  return savgol_dot(weights + static_cast<int64_t>(row) * window, window, x + start);
}

}  // namespace swingpipe::stats::detail
