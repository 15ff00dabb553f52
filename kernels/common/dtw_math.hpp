#pragma once
// Per-element DTW math shared by the CPU backend (kernels/cpu/dtw*.cpp) and the CUDA kernels
// (kernels/cuda/dtw*.cu). Plain C++ only; every function is SP_HD.
//
// Conventions (dtw.hpp): cost(i, j) = sum_c (x[c][i] - y[c][j])^2 (dependent multichannel DTW),
// D(i, j) = cost(i, j) + min(D(i-1, j-1), D(i-1, j), D(i, j-1)), band |i - j| <= r. Direction codes
// for paths break ties diagonal, then up (i-1, j), then left (i, j-1).
#include <cmath>
#include <cstdint>

#include "common/hd.hpp"

namespace swingpipe::dtw::detail {

/// Direction codes stored per cell for path backtracking.
enum : uint8_t { kDirDiag = 0, kDirUp = 1, kDirLeft = 2 };

/// Squared Euclidean frame cost between frame i of x and frame j of y, both channel-major with
/// lengths n and m.
template <class T>
SP_HD T frame_cost(const T* x, int64_t n, int64_t i, const T* y, int64_t m, int64_t j,
                   int channels) {
  T s = T(0);
  for (int c = 0; c < channels; ++c) {
    const T d = x[c * n + i] - y[c * m + j];
    s += d * d;
  }
  return s;
}

/// min(diag, up, left) with the path tie order: diagonal first, then up, then left. Writes the
/// winning direction code to *dir.
template <class T>
SP_HD T min3_dir(T diag, T up, T left, uint8_t* dir) {
  T best = diag;
  uint8_t d = kDirDiag;
  if (up < best) {
    best = up;
    d = kDirUp;
  }
  if (left < best) {
    best = left;
    d = kDirLeft;
  }
  *dir = d;
  return best;
}

/// min(a, b, c) (same value as min3_dir, no direction).
template <class T>
SP_HD T min3(T a, T b, T c) {
  const T ab = b < a ? b : a;
  return c < ab ? c : ab;
}

/// First and last column (inclusive) of row i inside the band |i - j| <= r, clipped to [0, m).
SP_HD int64_t band_lo(int64_t i, int64_t r) {
  return i - r > 0 ? i - r : 0;
}
SP_HD int64_t band_hi(int64_t i, int64_t r, int64_t m) {
  return i + r < m - 1 ? i + r : m - 1;
}

/// Band kinds as plain integers for device code; the same order as dtw::Band::Kind (checked
/// where both are visible, kernels/cpu/dtw_reference.cpp).
enum : int { kBandFull = 0, kBandSamples = 1, kBandFraction = 2 };

/// The Sakoe-Chiba radius for lengths n, m (n, m >= 0) of an already validated band: the band's
/// own radius (samples, or floor(fraction * max(n, m))), at most the widest useful one
/// (max(n, m) - 1), widened to at least |n - m|. Band::radius validates, then calls this; the CUDA
/// kernels call it per pair.
SP_HD int64_t band_radius(int kind, double value, int64_t n, int64_t m) {
  const int64_t longest = n > m ? n : m;
  const int64_t diff = n > m ? n - m : m - n;
  int64_t widest = longest - 1 > diff ? longest - 1 : diff;
  if (widest < 0) widest = 0;
  int64_t r = widest;
  if (kind == kBandSamples) {
    r = value >= static_cast<double>(widest) ? widest : static_cast<int64_t>(value);
  } else if (kind == kBandFraction) {
    const double w = ::floor(value * static_cast<double>(longest));
    r = w >= static_cast<double>(widest) ? widest : static_cast<int64_t>(w);
  }
  return r > diff ? r : diff;
}

}  // namespace swingpipe::dtw::detail
