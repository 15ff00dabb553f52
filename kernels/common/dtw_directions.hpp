#pragma once
// Host side of the CUDA paths: the layout of the direction words the wavefront stores
// (kernels/common/dtw_wavefront.hpp: per tile, [step][lane], one word of 2-bit codes per lane and
// step) and the backtracking that turns them into a warping path. Plain C++, used by
// kernels/cuda/dtw_cuda.cu and by the CPU emulation in tests.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/dtw_math.hpp"
#include "common/dtw_plan.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::dtw::detail {

/// Columns a tile of rows [i0, i0 + rows) visits, and the steps it takes with group width g.
struct TileSpan {
  int64_t jlo, jhi, steps;
};
inline TileSpan tile_span(int64_t i0, int64_t rows, int64_t m, int64_t r, int64_t g) {
  const int64_t jlo = std::max<int64_t>(0, i0 - r);
  const int64_t jhi = std::min<int64_t>(m - 1, i0 + rows - 1 + r);
  return {jlo, jhi, jhi - jlo + g};
}

/// Direction words an item stores: per tile, steps x group.
inline int64_t dir_words(const WorkItem& w, ShapeDims s) {
  int64_t words = 0;
  for (int64_t i0 = 0; i0 < w.n; i0 += s.rows())
    words += tile_span(i0, s.rows(), w.m, w.r, s.group).steps * s.group;
  return words;
}

/// The direction code of cell (i, j), given the words of its tile.
inline uint8_t direction_at(const unsigned char* tile_words, int word_bytes, const WorkItem& w,
                            ShapeDims s, int64_t i, int64_t j) {
  const int64_t rows = s.rows();
  const int64_t lane = (i % rows) / s.cells;
  const int64_t k = i % s.cells;
  const TileSpan span = tile_span(i / rows * rows, rows, w.m, w.r, s.group);
  const int64_t index = (j + lane - span.jlo) * s.group + lane;
  uint32_t word = 0;  // little-endian: the low bytes of a wider word
  std::memcpy(&word, tile_words + index * word_bytes, static_cast<std::size_t>(word_bytes));
  return static_cast<uint8_t>((word >> (2 * k)) & 3u);
}

/// Backtracks the optimal path of an item from its direction words (ties as dtw_math.hpp). A code
/// that is none of diagonal, up, left (the 0xff poison the buffer is filled with) means the kernel
/// never wrote that cell: BackendError.
inline std::vector<std::pair<int32_t, int32_t>> backtrack(const unsigned char* words,
                                                          int word_bytes, const WorkItem& w,
                                                          ShapeDims s) {
  const int64_t rows = s.rows();
  std::vector<int64_t> tile_first;  // first word of each tile
  int64_t acc = 0;
  for (int64_t i0 = 0; i0 < w.n; i0 += rows) {
    tile_first.push_back(acc);
    acc += tile_span(i0, rows, w.m, w.r, s.group).steps * s.group;
  }
  std::vector<std::pair<int32_t, int32_t>> steps;
  steps.reserve(static_cast<std::size_t>(w.n) + static_cast<std::size_t>(w.m));
  int64_t i = w.n - 1, j = w.m - 1;
  steps.emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(j));
  while (i > 0 || j > 0) {
    uint8_t dir = 0;
    if (i == 0) {
      dir = kDirLeft;
    } else if (j == 0) {
      dir = kDirUp;
    } else {
      const int64_t t = i / rows;
      dir = direction_at(words + tile_first[static_cast<std::size_t>(t)] * word_bytes, word_bytes,
                         w, s, i, j);
    }
    if (dir == kDirDiag) {
      --i;
      --j;
    } else if (dir == kDirUp) {
      --i;
    } else if (dir == kDirLeft) {
      --j;
    } else {
      throw BackendError("DTW on CUDA: the direction of cell (" + std::to_string(i) + ", " +
                         std::to_string(j) + ") of a " + std::to_string(w.n) + " x " +
                         std::to_string(w.m) + " path was never written");
    }
    steps.emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(j));
  }
  std::reverse(steps.begin(), steps.end());
  return steps;
}

}  // namespace swingpipe::dtw::detail
