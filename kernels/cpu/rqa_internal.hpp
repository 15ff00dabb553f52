#pragma once
// Internal to the RQA backends (kernels/cpu/rqa_*.cpp, kernels/cuda/rqa_*.cu): the problem one
// recurrence matrix poses once thresholds are resolved, the exact threshold helpers, and the
// entry points of each backend. Plain C++ types only.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "common/rqa_math.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa::detail {

/// InputError for a bad threshold, Theiler window, l_min or v_min.
void validate_options(const Options& opt);

/// k of the rate threshold: the k-th smallest of M distances, k = ceil(r * M) in [1, M].
inline int64_t rate_rank(double r, int64_t M) {
  auto k = static_cast<int64_t>(std::ceil(r * static_cast<double>(M)));
  return k < 1 ? 1 : (k > M ? M : k);
}

/// The smallest T not below v (so that for any T d: d < v exactly when d < result).
template <class T>
T round_up(double v) {
  if (v > static_cast<double>(std::numeric_limits<T>::max()))
    return std::numeric_limits<T>::infinity();
  T t = static_cast<T>(v);
  if (static_cast<double>(t) < v) t = std::nextafter(t, std::numeric_limits<T>::infinity());
  return t;
}

/// The value limit of a threshold eps: recurrent iff value < limit exactly when d < eps. For the
/// Euclidean norm the smallest sum of squares s with sqrt(s) >= eps (sqrt is monotonic).
template <class T>
T value_limit(Norm norm, double eps) {
  const T e = round_up<T>(eps);
  if (norm != Norm::euclidean) return e;
  if (!(e > T(0))) return T(0);
  const T inf = std::numeric_limits<T>::infinity();
  if (e == inf) return inf;
  T s = round_up<T>(static_cast<double>(e) * static_cast<double>(e));
  while (s > T(0) && std::sqrt(std::nextafter(s, T(0))) >= e) s = std::nextafter(s, T(0));
  while (std::sqrt(s) < e) s = std::nextafter(s, inf);
  return s;
}

/// One recurrence matrix with resolved limits: rows x, columns y (dims-major clouds whose arrays
/// are readable 64 values past any tile start), an optional second group (joint), symmetric when
/// y is x (and y2 is x2): then only the upper triangle is computed. Bands: diagonals with
/// |j - i| < w_diag hold no lines; cells with |j - i| < w_vert are outside vertical/white lines.
template <class T>
struct LineProblem {
  WalkProblem<T> walk;
  bool symmetric = false;
};

/// The diagonal, vertical and white histograms of one matrix (trimmed as Histograms says).
template <class T>
Histograms cpu_lines(const LineProblem<T>& p, Simd simd, int threads,
                     const std::function<void(double)>& progress);

/// Counting passes the exact quantile search runs over one group's matrix region.
template <class T>
struct RegionPasses {
  /// The largest value over the whole matrix.
  std::function<T()> max_value;
  /// Over the region's off-diagonal cells (weight 2 each when symmetric: both triangles):
  /// below = values < lo, hist[(bits(v) - bits(lo)) >> shift] = values in [lo, hi], `bins` entries.
  std::function<void(T lo, T hi, int shift, int bins, int64_t& below, std::vector<int64_t>& hist)>
      count;
  /// The values in [lo, hi] of the same cells, each as often as its weight, in any order.
  std::function<std::vector<T>(T lo, T hi)> collect;
  int bins = 1 << 16;
};

/// Region the threshold of one group is resolved on (RR's cells of that group's matrix).
template <class T>
struct Region {
  Cloud<T> x, y;
  NormCode norm = NormCode::euclidean;
  bool symmetric = false;
  bool all = false;  ///< pyrqa: every cell; standard: cells with |j - i| >= w
  int64_t w = 0;
  int64_t cells = 0;  ///< cells RR counts (the rate threshold's M)
  int64_t zeros = 0;  ///< main-diagonal cells among them (value 0), which the passes skip
};

/// eps for `th` on a region, through `passes` (backend-specific).
template <class T>
double resolve_on(const Region<T>& region, const Threshold& th, const RegionPasses<T>& passes);

template <class T>
RegionPasses<T> cpu_passes(const Region<T>& region, Simd simd, int threads);

/// Diagonals a walker-based backend runs and with what weight: symmetric matrices run the upper
/// diagonals d >= max(w_diag, 1) twice over (weight 2) and add the main diagonal as one line of
/// length n when w_diag == 0 and its cells are recurrent (d(x_i, x_i) = 0 < limit).
struct DiagonalPlan {
  int64_t first = 0, last = 0;  ///< d in [first, last)
  int64_t weight = 1;
  int64_t main_line = 0;  ///< length of the main diagonal line to add (0 = none)
};
template <class T>
DiagonalPlan diagonal_plan(const LineProblem<T>& p) {
  DiagonalPlan plan;
  const auto& w = p.walk;
  if (p.symmetric) {
    plan.first = w.w_diag > 1 ? w.w_diag : 1;
    plan.last = w.x.count;
    plan.weight = 2;
    const bool diag_recurrent = T(0) < w.limit && (!w.joint || T(0) < w.limit2);
    if (w.w_diag == 0 && diag_recurrent) plan.main_line = w.x.count;
  } else {
    plan.first = -(w.x.count - 1);
    plan.last = w.y.count;
  }
  return plan;
}

}  // namespace swingpipe::rqa::detail

namespace swingpipe::rqa::detail {

/// The CUDA backend's algorithm (one walker per column and per diagonal, diagonal_plan) run on the
/// host, sequentially: what the GPU computes, checkable on machines without one. For tests.
template <class T>
Histograms walk_lines(const LineProblem<T>& p);

}  // namespace swingpipe::rqa::detail
