#pragma once
// Per-pair planning of the CUDA DTW backend as plain SP_HD functions: which pair a work index
// stands for (an explicit list, a cross matrix or the upper triangle of all-pairs), whether the
// pair needs the wavefront kernel at all (empty or non-finite series, dtw.hpp's edge cases), its
// band radius, its orientation, the tile shape that runs it and its cost class. The device runs
// them per pair (kernels/cuda/dtw_kernel.cuh generates the pairs of a chunk itself, so no pair
// list is built on the host for cross and all-pairs), the host runs them for paths, and CPU tests
// run them against the public API's rules (tests/unit/dtw/test_dtw_cuda_logic.cpp).
#include <cstdint>
#include <limits>

#include "common/dtw_math.hpp"
#include "common/hd.hpp"

namespace swingpipe::dtw::detail {

/// One pair for the wavefront kernel. The row series is the shorter one for distances (DTW is
/// symmetric under transposition); paths keep the caller's orientation.
struct WorkItem {
  int64_t x_off = 0;    ///< element offset of the row series (n frames, channel-major)
  int64_t y_off = 0;    ///< element offset of the column series (m frames)
  int64_t dir_off = 0;  ///< paths: first direction word of this item
  int64_t result = 0;   ///< index into the chunk's results
  int32_t n = 0, m = 0, r = 0;
};

// ---- pair sources -------------------------------------------------------------------------------

enum : int { kSourceList = 0, kSourceCross = 1, kSourceTriangle = 2 };

/// Where the pairs of one chunk come from. Pair k of the chunk is global pair `first + k`:
///   list:     list[2k], list[2k + 1] (the PairIndex layout: a, b as int64), chunk-local;
///   cross:    g = i * cols + j, row-major over |a| x |b| (cols = |b|);
///   triangle: the upper triangle (j > i) of a cols x cols matrix, row by row.
struct PairSource {
  int kind = kSourceList;
  const int64_t* list = nullptr;
  int64_t cols = 0;
  int64_t first = 0;
};

/// Pairs of the upper triangle before row i of an n x n matrix: i * (2n - i - 1) / 2, computed
/// without overflow for any result below 2^63 (one of the two factors is even).
SP_HD int64_t triangle_row_start(int64_t i, int64_t n) {
  const int64_t f = 2 * n - i - 1;
  return (i % 2 == 0) ? (i / 2) * f : i * (f / 2);
}

/// Number of pairs in the upper triangle of n x n (n >= 0).
SP_HD int64_t triangle_pairs(int64_t n) {
  return n < 2 ? 0 : triangle_row_start(n - 1, n);
}

/// Row i and column j (j > i) of pair g of the upper triangle of n x n, 0 <= g < triangle_pairs(n).
/// A double-precision estimate of the row, corrected exactly with integer row starts.
SP_HD void triangle_pair(int64_t g, int64_t n, int64_t* i, int64_t* j) {
  const double b = 2.0 * static_cast<double>(n) - 1.0;
  const double disc = b * b - 8.0 * static_cast<double>(g);
  double est = (b - ::sqrt(disc > 0 ? disc : 0.0)) / 2.0;
  int64_t row = est > 0 ? static_cast<int64_t>(est) : 0;
  if (row > n - 2) row = n - 2;
  while (row > 0 && triangle_row_start(row, n) > g) --row;
  while (row + 1 <= n - 2 && triangle_row_start(row + 1, n) <= g) ++row;
  *i = row;
  *j = g - triangle_row_start(row, n) + row + 1;
}

/// The batch indices (a, b) of chunk pair k.
SP_HD void pair_at(const PairSource& s, int64_t k, int64_t* a, int64_t* b) {
  if (s.kind == kSourceList) {
    *a = s.list[2 * k];
    *b = s.list[2 * k + 1];
  } else if (s.kind == kSourceCross) {
    const int64_t g = s.first + k;
    *a = g / s.cols;
    *b = g % s.cols;
  } else {
    triangle_pair(s.first + k, s.cols, a, b);
  }
}

// ---- planning one pair --------------------------------------------------------------------------

/// One batch as the planner sees it (device or host pointers).
struct SeriesTable {
  const int64_t* offsets = nullptr;    ///< size + 1 frame offsets
  const uint8_t* nonfinite = nullptr;  ///< 1 where the series holds NaN or +-inf
  int64_t value_base = 0;              ///< element offset of the batch in the value buffer
};

struct PlanArgs {
  SeriesTable a, b;
  PairSource source;
  int channels = 1;
  int band_kind = kBandFull;
  double band_value = 0;
  bool transpose = true;  ///< distances: rows = the shorter series
};

/// What a pair gives without the kernel (dtw.hpp's edge cases), or kNeedsKernel.
enum : int { kNeedsKernel = 0, kAnswerZero = 1, kAnswerInf = 2, kAnswerNaN = 3 };

/// Plans chunk pair k: returns its answer when it needs no DTW (both empty: 0, one empty: +inf,
/// a non-finite value: NaN, in that order), else fills *w (result = k) and returns kNeedsKernel.
SP_HD int plan_item(const PlanArgs& p, int64_t k, WorkItem* w) {
  int64_t ia = 0, ib = 0;
  pair_at(p.source, k, &ia, &ib);
  const int64_t n = p.a.offsets[ia + 1] - p.a.offsets[ia];
  const int64_t m = p.b.offsets[ib + 1] - p.b.offsets[ib];
  if (n == 0 || m == 0) return (n == 0 && m == 0) ? kAnswerZero : kAnswerInf;
  if (p.a.nonfinite[ia] || p.b.nonfinite[ib]) return kAnswerNaN;
  const int64_t r = band_radius(p.band_kind, p.band_value, n, m);  // <= max(n, m)
  w->x_off = p.a.value_base + p.a.offsets[ia] * p.channels;
  w->y_off = p.b.value_base + p.b.offsets[ib] * p.channels;
  w->dir_off = 0;
  w->result = k;
  w->n = static_cast<int32_t>(n);
  w->m = static_cast<int32_t>(m);
  w->r = static_cast<int32_t>(r);
  if (p.transpose && w->n > w->m) {
    const int64_t off = w->x_off;
    w->x_off = w->y_off;
    w->y_off = off;
    const int32_t len = w->n;
    w->n = w->m;
    w->m = len;
  }
  return kNeedsKernel;
}

/// The value of an answer code (kAnswerZero, kAnswerInf, kAnswerNaN) in T.
/// (std::numeric_limits is constexpr: device code may call it with --expt-relaxed-constexpr.)
template <class T>
SP_HD T answer_value(int code) {
  if (code == kAnswerZero) return T(0);
  if (code == kAnswerInf) return std::numeric_limits<T>::infinity();
  return std::numeric_limits<T>::quiet_NaN();
}

// ---- tile shapes and cost -----------------------------------------------------------------------

/// A tile shape: `group` lanes per item (a warp, or a sub-warp), `cells` rows per lane.
struct ShapeDims {
  int group = 32;
  int cells = 1;
  SP_HD constexpr int rows() const { return group * cells; }
};

/// Distance shapes: 0 = small (8 lanes x 4 rows: short series, narrow bands), 1 = large (a warp,
/// 16 rows per lane in float32, 8 in float64). A medium shape (32 x 4) was dropped: the cost model
/// below never chose it (its cost is at least the small shape's for every n, m, r).
inline constexpr int kShapes = 2;
template <class T>
SP_HD constexpr ShapeDims distance_shape(int shape) {
  return shape == 0 ? ShapeDims{8, 4} : ShapeDims{32, sizeof(T) == 4 ? 16 : 8};
}
/// Paths: one shape, the large one.
template <class T>
SP_HD constexpr ShapeDims paths_shape() {
  return distance_shape<T>(1);
}

/// Channel variants of the kernels: 1, 2, 3 channels unrolled in registers (CH = channels), and
/// any count read per cell (CH = 0, variant 3).
inline constexpr int kChannelVariants = 4;
SP_HD constexpr int channel_variant(int channels) {
  return channels >= 1 && channels <= 3 ? channels - 1 : 3;
}
/// Distance shapes a channel variant offers: the any-channel kernel exists in the small shape only
/// (its cells are memory-bound anyway, and this keeps the build short).
SP_HD constexpr int shapes_offered(int variant) {
  return variant == 3 ? 1 : kShapes;
}

/// Lane-steps a shape spends on an n x m pair with radius r, weighted by the work of a step: per
/// tile of rows, (band width + group) steps of `group` lanes doing `cells` cells plus ~4 of
/// overhead.
SP_HD double shape_cost(ShapeDims s, int64_t n, int64_t m, int64_t r) {
  const int64_t rows = s.rows();
  const int64_t tiles = (n + rows - 1) / rows;
  const int64_t band = rows + 2 * r;
  const int64_t width = m < band ? m : band;
  return static_cast<double>(tiles) * static_cast<double>(width + s.group) * s.group *
         (s.cells + 4.0);
}

/// The cheapest of the first `count` distance shapes for a planned item (ties: the smaller).
template <class T>
SP_HD int choose_shape(const WorkItem& w, int count) {
  int best = 0;
  double best_cost = shape_cost(distance_shape<T>(0), w.n, w.m, w.r);
  for (int s = 1; s < count; ++s) {
    const double c = shape_cost(distance_shape<T>(s), w.n, w.m, w.r);
    if (c < best_cost) {
      best = s;
      best_cost = c;
    }
  }
  return best;
}

/// floor(log2(in-band cells)) of an item, 0..62 (an upper bound of the cells for bands).
SP_HD int cost_class(const WorkItem& w) {
  const int64_t band = 2 * static_cast<int64_t>(w.r) + 1;
  const int64_t cells = static_cast<int64_t>(w.n) * (w.m < band ? w.m : band);
  int c = 0;
  for (int64_t v = cells; v > 1; v >>= 1) ++c;
  return c;
}

/// Work is handed out by bucket: shape-major, the costliest class first within a shape (the atomic
/// work counter then gives the big pairs out before the small ones). kNoBucket: needs no kernel.
inline constexpr int kClasses = 64;
inline constexpr int kBuckets = kShapes * kClasses;
inline constexpr uint8_t kNoBucket = 0xff;
static_assert(kBuckets <= kNoBucket, "bucket keys are bytes");
SP_HD int bucket_key(int shape, int cls) {
  return shape * kClasses + (kClasses - 1 - cls);
}

// ---- boundary rows ------------------------------------------------------------------------------

/// Elements of a group's boundary buffer an item needs (0 when it fits in one tile of `rows`).
SP_HD int64_t boundary_width(const WorkItem& w, int rows) {
  if (w.n <= rows) return 0;
  const int64_t band = 2 * static_cast<int64_t>(w.r) + 1;
  return band < w.m ? band : w.m;
}

}  // namespace swingpipe::dtw::detail
