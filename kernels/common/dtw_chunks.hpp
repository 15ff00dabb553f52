#pragma once
// Host-side planning of the CUDA DTW backend (kernels/cuda/dtw_cuda.cu), as plain functions that
// CPU tests check at their boundaries (tests/unit/dtw/test_dtw_cuda_logic.cpp): how many groups a
// launch gets, how wide a group's boundary rows must be, how paths are cut into chunks whose
// direction words fit, how an upper-triangle chunk maps onto rows of the output, the mirror of
// all-pairs, and the poison check of results the kernels must have written.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "common/dtw_directions.hpp"
#include "common/dtw_math.hpp"
#include "common/dtw_plan.hpp"
#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::dtw::detail {

/// Groups to launch for one shape: as many as are resident on the device at once, no more than
/// the items, and no more than the boundary budget holds (two rows of `stride` elements each), but
/// at least one block's worth (per_block groups) when any item has to run.
inline int64_t launch_groups(int64_t resident, int per_block, int64_t stride,
                             std::size_t elem_bytes, std::size_t budget, int64_t items) {
  if (items <= 0) return 0;
  int64_t groups = std::min(std::max<int64_t>(resident, 1), items);
  if (stride > 0) {
    const auto fit =
        static_cast<int64_t>(budget / (2 * static_cast<std::size_t>(stride) * elem_bytes));
    groups = std::min(groups, std::max<int64_t>(fit, per_block));
  }
  return groups;
}

/// Lengths of the non-empty series of a batch (min > max when there are none).
struct LengthRange {
  int64_t min = std::numeric_limits<int64_t>::max();
  int64_t max = 0;
};
template <class T>
LengthRange length_range(const BatchView<T>& b) {
  LengthRange r;
  for (std::size_t s = 0; s < b.size(); ++s) {
    const int64_t len = b.length(s);
    if (len == 0) continue;
    r.min = std::min(r.min, len);
    r.max = std::max(r.max, len);
  }
  return r;
}

/// A bound of boundary_width() over every pair of a x b for tiles of `rows` rows: 0 when every
/// pair fits in one tile (the row series is the shorter one), else min(2 r_max + 1, longest) with
/// r_max = the band's radius at the longest length, widened to the largest length difference.
inline int64_t boundary_stride_bound(int band_kind, double band_value, LengthRange a, LengthRange b,
                                     int rows) {
  if (a.min > a.max || b.min > b.max) return 0;
  if (std::min(a.max, b.max) <= rows) return 0;
  const int64_t longest = std::max(a.max, b.max);
  const int64_t diff = std::max<int64_t>({a.max - b.min, b.max - a.min, 0});
  const int64_t r = std::max(band_radius(band_kind, band_value, longest, longest), diff);
  return std::min(2 * r + 1, longest);
}

/// Cuts paths items [begin, ..) into one chunk: items whose direction words fit `budget_bytes`
/// (a single larger item runs alone) and at most `max_items`. Sets each item's dir_off (words from
/// the chunk's start) and returns the chunk's end; *words = the chunk's direction words.
inline std::size_t paths_chunk(std::vector<WorkItem>& items, std::size_t begin, ShapeDims s,
                               int word_bytes, std::size_t budget_bytes, int64_t max_items,
                               int64_t* words) {
  std::size_t end = begin;
  int64_t total = 0;
  while (end < items.size() && static_cast<int64_t>(end - begin) < max_items) {
    const int64_t w = dir_words(items[end], s);
    const auto bytes = static_cast<std::size_t>(total + w) * static_cast<std::size_t>(word_bytes);
    if (end > begin && bytes > budget_bytes) break;
    items[end].dir_off = total;
    total += w;
    ++end;
  }
  *words = total;
  return end;
}

/// Calls fn(i, j, k, len) for each run of chunk pairs [first, first + count) of the upper triangle
/// of n x n that lies in one row: chunk pairs k .. k + len - 1 are (i, j) .. (i, j + len - 1).
template <class Fn>
void for_each_triangle_run(int64_t first, int64_t count, int64_t n, Fn&& fn) {
  if (count <= 0) return;
  int64_t i = 0, j = 0;
  triangle_pair(first, n, &i, &j);
  int64_t k = 0;
  while (k < count) {
    const int64_t len = std::min(count - k, n - j);
    fn(i, j, k, len);
    k += len;
    ++i;
    j = i + 1;
  }
}

/// Completes an all-pairs matrix whose upper triangle is written: lower = mirror, diagonal = 0.
/// Blocked, so both the rows read and the columns written stay in cache.
template <class T>
void mirror_upper(T* out, int64_t n) {
  constexpr int64_t kBlock = 64;
  for (int64_t bi = 0; bi < n; bi += kBlock)
    for (int64_t bj = bi; bj < n; bj += kBlock) {
      const int64_t ie = std::min(bi + kBlock, n), je = std::min(bj + kBlock, n);
      for (int64_t i = bi; i < ie; ++i)
        for (int64_t j = std::max(bj, i + 1); j < je; ++j) out[j * n + i] = out[i * n + j];
    }
  for (int64_t i = 0; i < n; ++i) out[i * n + i] = T(0);
}

/// The poison the CUDA backend fills result buffers with before a launch: every byte 0xff (a NaN
/// with all payload bits set, which no computed or answered result has).
template <class T>
bool is_poison(T v) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  for (unsigned char c : bytes)
    if (c != 0xff) return false;
  return true;
}

/// Index of the first result still holding the poison, or -1.
template <class T>
int64_t first_unwritten(const T* results, int64_t count) {
  for (int64_t k = 0; k < count; ++k)
    if (is_poison(results[k])) return k;
  return -1;
}

}  // namespace swingpipe::dtw::detail
