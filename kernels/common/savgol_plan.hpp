#pragma once
// Host-side Savitzky-Golay planning shared by the stats backends (CPU now, CUDA later).
#include <cstdint>
#include <optional>

#include "swingpipe/kernels/stats.hpp"

namespace swingpipe::stats::detail {

/// Throws InputError for an even / non-positive window, window <= order, order < 0, or deriv
/// outside 0..order.
void validate(int window, int order, int deriv);

/// Weights for any window >= order + 1 (even allowed: used only when the window is the whole
/// series); no validation.
SavgolPlan make_plan(int window, int order, int deriv);

/// The plan for a series of n samples (a shorter series is fitted as a whole with order
/// min(order, n - 1)); nullopt when that derivative is identically 0.
std::optional<SavgolPlan> plan_for_length(int64_t n, int window, int order, int deriv);

/// fs^deriv, or 1 when fs <= 0 (per-sample derivatives).
double rate_scale(double fs, int deriv);

}  // namespace swingpipe::stats::detail
