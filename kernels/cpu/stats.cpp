// describe(): per-channel mean, population std, min, max, peak |dx/dt| and RMS jerk (stats.hpp).
// Each channel is first scaled by a power of two (exact) so that values near the double range
// neither overflow the sums nor the derivative convolutions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "common/savgol.hpp"
#include "common/savgol_plan.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/stats.hpp"

namespace swingpipe::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ChannelStats all_nan() {
  return {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
}

/// A power of two close to max|x| (1 when that is 0 or not finite), so x / scale is exact.
double power_of_two_scale(double max_abs) {
  if (!(max_abs > 0) || !std::isfinite(max_abs)) return 1;
  return std::ldexp(1.0, std::max(std::ilogb(max_abs), -1022));  // 1 / scale stays finite
}

/// max |d| and sqrt(mean(d^2)) of a plan applied to y (0 when there is no plan).
struct DerivSummary {
  double max_abs = 0;
  double rms = 0;
};

DerivSummary summarize(const std::optional<SavgolPlan>& plan, const double* y, int64_t n) {
  DerivSummary s;
  if (!plan) return s;
  double sum_sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = detail::savgol_at(plan->weights.data(), plan->window, y, n, i);
    s.max_abs = std::max(s.max_abs, std::abs(d));
    sum_sq += d * d;
  }
  s.rms = std::sqrt(sum_sq / static_cast<double>(n));
  return s;
}

struct Plans {
  std::optional<SavgolPlan> rate;
  std::optional<SavgolPlan> jerk;
  double rate_scale = 1;
  double jerk_scale = 1;
};

ChannelStats describe_channel(const double* x, int64_t n, const Plans& plans,
                              std::vector<double>& y) {
  double lo = x[0], hi = x[0];
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) return all_nan();
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const double scale = power_of_two_scale(std::max(std::abs(lo), std::abs(hi)));
  const double inv = 1 / scale;
  y.resize(static_cast<std::size_t>(n));
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = x[i] * inv;
    sum += y[i];
  }
  const double nd = static_cast<double>(n);
  const double m = sum / nd;
  double dev = 0, dev_sq = 0;  // corrected two-pass algorithm
  for (int64_t i = 0; i < n; ++i) {
    const double d = y[i] - m;
    dev += d;
    dev_sq += d * d;
  }
  const double var = std::max(0.0, (dev_sq - dev * dev / nd) / nd);
  const DerivSummary rate = summarize(plans.rate, y.data(), n);
  const DerivSummary jerk = summarize(plans.jerk, y.data(), n);
  ChannelStats s;
  s.mean = (m + dev / nd) * scale;
  s.std = std::sqrt(var) * scale;
  s.min = lo;
  s.max = hi;
  s.peak_abs_rate = rate.max_abs * scale * plans.rate_scale;
  s.rms_jerk = jerk.rms * scale * plans.jerk_scale;
  return s;
}

}  // namespace

std::vector<ChannelStats> describe(SeriesRef<double> series, double fs, const Options& opt) {
  if (opt.order < 3)
    throw InputError("stats: polynomial order must be >= 3 for the jerk (third derivative), got " +
                     std::to_string(opt.order));
  detail::validate(opt.window, opt.order, 3);
  if (!std::isfinite(fs))
    throw InputError("stats: sample rate must be finite, got " + std::to_string(fs));
  if (series.channels < 0 || series.length < 0)
    throw InputError("stats: series has " + std::to_string(series.channels) + " channels and " +
                     std::to_string(series.length) + " frames");
  if (series.length > 0 && series.data == nullptr)
    throw InputError("stats: series of " + std::to_string(series.length) + " frames has no data");
  const int64_t n = series.length;
  std::vector<ChannelStats> out(static_cast<std::size_t>(series.channels), all_nan());
  if (n == 0) return out;
  const Plans plans{detail::plan_for_length(n, opt.window, opt.order, 1),
                    detail::plan_for_length(n, opt.window, opt.order, 3), detail::rate_scale(fs, 1),
                    detail::rate_scale(fs, 3)};
  const int channels = series.channels;
  const bool parallel = channels > 1 && n * channels >= (int64_t{1} << 16);
#pragma omp parallel if (parallel)
  {
    std::vector<double> scratch;
#pragma omp for schedule(static)
    for (int c = 0; c < channels; ++c)
      out[static_cast<std::size_t>(c)] = describe_channel(series.data + c * n, n, plans, scratch);
  }
  return out;
}

}  // namespace swingpipe::stats
