#pragma once
// Per-channel descriptive statistics: the pipeline's first analysis ("stats").
// Derivatives by Savitzky-Golay differentiation (least-squares polynomial of `order` over a
// centred window of `window` samples; at the edges the polynomial fitted to the first / last
// window is evaluated, as scipy.signal.savgol_filter(mode="interp") does).
#include <cstdint>
#include <span>
#include <vector>

#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::stats {

struct Options {
  int window = 11;  ///< odd, > order
  int order = 3;    ///< polynomial order, >= 3 (jerk is the third derivative)
};

struct ChannelStats {
  double mean = 0;
  double std = 0;  ///< population standard deviation
  double min = 0;
  double max = 0;
  double peak_abs_rate = 0;  ///< max |dx/dt| (units per second; per sample when fs = 0)
  double rms_jerk = 0;       ///< sqrt(mean((d3x/dt3)^2))
};

/// Savitzky-Golay derivative of order `deriv` (0..order) of x, sampled at `fs` Hz (fs <= 0 means
/// per sample). Output has x.size() values. A series shorter than the window uses a window of
/// the largest odd length <= size that is > order when possible, else a lower polynomial order;
/// a series of 1 sample has derivative 0. Throws InputError for an even or too-small window.
std::vector<double> savgol_derivative(std::span<const double> x, int deriv, double fs,
                                      const Options& opt = {});

/// Statistics of every channel of one series. NaN in a channel gives NaN statistics for it.
/// An empty series gives NaN for every field.
std::vector<ChannelStats> describe(SeriesRef<double> series, double fs, const Options& opt = {});

}  // namespace swingpipe::stats
