#pragma once
// Helpers for the CWT tests: row-wise error against the direct-summation oracle.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <span>
#include <vector>

#include "swingpipe/kernels/cwt.hpp"

namespace swingpipe::cwt::test_util {

/// max_t |got - ref| / max_t |ref| over one row of n values (0 when both rows are zero).
template <class G>
double row_error(const G* got, const std::complex<double>* ref, int64_t n) {
  double err = 0, scale = 0;
  for (int64_t t = 0; t < n; ++t) {
    const std::complex<double> g(static_cast<double>(got[t].real()),
                                 static_cast<double>(got[t].imag()));
    err = std::max(err, std::abs(g - ref[t]));
    scale = std::max(scale, std::abs(ref[t]));
  }
  return scale > 0 ? err / scale : err;
}

inline std::vector<std::complex<double>> reference(std::span<const double> x,
                                                   const std::vector<double>& freqs, double omega0,
                                                   double fs) {
  std::vector<std::complex<double>> out(freqs.size() * x.size());
  reference_transform(x, freqs, omega0, fs, out);
  return out;
}

/// Frequencies whose scales (fs = 1) run from `smin` to `smax` samples, geometric.
inline std::vector<double> freqs_for_scales(double smin, double smax, int count, double omega0) {
  std::vector<double> f;
  for (int i = 0; i < count; ++i) {
    const double s = count == 1 ? smin : smin * std::pow(smax / smin, double(i) / (count - 1));
    f.push_back(omega0 / (2 * M_PI * s));
  }
  return f;
}

}  // namespace swingpipe::cwt::test_util
