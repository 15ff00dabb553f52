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
/// per sample). Output has x.size() values. A series shorter than the window is fitted by one
/// polynomial over all its samples, of order min(order, size - 1) (scipy refuses such input); a
/// derivative above that order is 0, so a series of 1 sample has derivative 0. Throws InputError
/// for an even window, window <= order, order < 0, deriv outside 0..order, or a NaN/inf fs.
std::vector<double> savgol_derivative(std::span<const double> x, int deriv, double fs,
                                      const Options& opt = {});

/// The reusable part of savgol_derivative for one (window, order, deriv): a window x window
/// table of per-sample weights. Row r gives the derivative at position r of a window of samples
/// (row window/2 is the centre: the interior convolution; the others serve the edges).
struct SavgolPlan {
  int window = 0;
  int order = 0;
  int deriv = 0;
  std::vector<double> weights;  ///< row-major, window * window
};

/// Validates like savgol_derivative and computes the weights (double, orthogonal polynomials).
SavgolPlan savgol_plan(int window, int order, int deriv);

/// Applies a plan to x (x.size() >= plan.window) into out (same size), scaled by fs^deriv.
void savgol_apply(const SavgolPlan& plan, std::span<const double> x, double fs,
                  std::span<double> out);

/// Statistics of every channel of one series. NaN in a channel gives NaN statistics for it.
/// An empty series gives NaN for every field. Throws InputError for bad options (as
/// savgol_derivative, and order < 3: jerk needs the third derivative) or channels < 0.
std::vector<ChannelStats> describe(SeriesRef<double> series, double fs, const Options& opt = {});

}  // namespace swingpipe::stats
