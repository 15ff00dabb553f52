#pragma once
// The DTW wavefront (design.md §4, DTW): the body of the CUDA kernels (kernels/cuda/dtw_kernel.cuh)
// written once for two executors: one thread per lane on the device, and all lanes of a group in
// lockstep on the CPU (HostLanes below), which is how tests run the kernel logic without a GPU
// (tests/unit/dtw/test_dtw_cuda_logic.cpp). Everything here is SP_KERNEL_FN (hd.hpp).
//
// One group of G lanes (G = 32: a warp; G = 8: a sub-warp for short series or narrow bands)
// computes one work item (a pair of series). The rows of the cost matrix are cut into tiles of
// R = G * C rows; in a tile, lane l owns rows i0 + l*C ... i0 + l*C + C-1 and keeps those C cells
// of the current column in registers (compile-time unrolled: no local memory). At step s lane l
// computes column j = s - l: the wavefront is skewed by one column per lane, and the value of the
// row above a lane's strip (the last cell of lane l-1, one step earlier) arrives by a shuffle.
// Lane 0 reads the row above the tile (written by lane G-1 of the previous tile) from a per-group
// boundary buffer in global memory, prefetched two steps ahead.
//
// Band: a tile visits only the columns [i0 - r, i0 + R - 1 + r] of its rows (columns outside are
// skipped, not masked). Steps where every lane is active and every cell of every strip is in the
// band run an unmasked body; the ramps at both ends of a tile run a masked body that keeps
// inactive lanes' registers untouched and sets out-of-band cells to +inf.
//
// Paths: each active lane also stores, per step, one word holding the 2-bit direction codes of its
// C cells (kernels/common/dtw_math.hpp's tie order). Words are laid out per tile as [step][lane],
// so the G lanes of a step store one coalesced run; kernels/common/dtw_directions.hpp backtracks
// on the host from the same layout.
//
// Arithmetic: the cost of a cell plus the best predecessor is written with explicit fma calls
// (fma on the device, std::fma here), so the CPU emulation gives the device's bits, not only
// values within rounding. Non-finite inputs never reach the kernel (dtw.hpp: the host flags them),
// so costs are finite or +inf, never NaN, and min() may be the hardware fmin.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "common/dtw_math.hpp"
#include "common/dtw_plan.hpp"
#include "common/hd.hpp"

namespace swingpipe::dtw::detail {

/// What run_item reads and writes besides its WorkItem.
template <class T>
struct ItemArgs {
  const T* values = nullptr;  ///< all series, channel-major, absolute offsets in WorkItem
  int channels = 1;
  T* results = nullptr;  ///< D(n-1, m-1), or its sqrt unless squared, at WorkItem::result
  void* dirs = nullptr;  ///< paths only: direction words
  bool squared = false;
};

/// The word that holds the direction codes of one lane's C cells at one step.
template <int C>
using DirWord =
    std::conditional_t<(C <= 4), uint8_t, std::conditional_t<(C <= 8), uint16_t, uint32_t>>;

template <class T>
SP_KERNEL_FN T load_ro(const T* p) {
#if defined(__CUDA_ARCH__)
  return __ldg(p);
#else
  return *p;
#endif
}
template <class T>
SP_KERNEL_FN T fused(T a, T b, T c) {
#if defined(__CUDA_ARCH__)
  return fma(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
template <class T>
SP_KERNEL_FN T fast_min(T a, T b) {
#if defined(__CUDA_ARCH__)
  return fmin(a, b);
#else
  return std::fmin(a, b);
#endif
}
template <class T>
SP_KERNEL_FN T root(T v) {
#if defined(__CUDA_ARCH__)
  return sqrt(v);
#else
  return std::sqrt(v);
#endif
}

/// One lane's state for one tile, and the step that advances it by one column.
template <class T, int G, int C, int CH, bool kPaths>
struct Strip {
  static constexpr int kRegCh = CH > 0 ? CH : 1;
  using Word = DirWord<C>;

  // Item and tile constants.
  const T* x;
  const T* y;
  int n, m, r, channels, lane;
  int ib, jlo, jhi;
  // Registers of the strip.
  T xr[C][kRegCh];  ///< the lane's rows (CH > 0)
  T d[C];           ///< D(ib + k, j) of the last column this lane computed
  T yv[kRegCh];     ///< the column value of the current step
  T up;             ///< D(ib - 1, j)
  T diag;           ///< D(ib - 1, j - 1)

  SP_KERNEL_FN void load_rows() {
    if constexpr (CH > 0) {
#pragma unroll
      for (int k = 0; k < C; ++k) {
        const int row = min_i(ib + k, n - 1);
#pragma unroll
        for (int c = 0; c < CH; ++c) xr[k][c] = x[static_cast<int64_t>(c) * n + row];
      }
    }
  }

  SP_KERNEL_FN void load_column(int j, T* out) const {
    if constexpr (CH > 0) {
      const int col = min_i(max_i(j, 0), m - 1);
#pragma unroll
      for (int c = 0; c < CH; ++c) out[c] = load_ro(y + static_cast<int64_t>(c) * m + col);
    }
  }

  /// cost(ib + k, j) + best: the squared frame distance summed with fma, then the predecessor
  /// (CH == 1: one fma). The any-channel variant (CH == 0) reads the frames from memory.
  SP_KERNEL_FN T cell_value(int k, int j, T best) const {
    if constexpr (CH == 1) {
      const T diff = xr[k][0] - yv[0];
      return fused(diff, diff, best);
    } else if constexpr (CH > 1) {
      T s = T(0);
#pragma unroll
      for (int c = 0; c < CH; ++c) {
        const T diff = xr[k][c] - yv[c];
        s = fused(diff, diff, s);
      }
      return s + best;
    } else {
      const int row = min_i(ib + k, n - 1);
      T s = T(0);
      for (int c = 0; c < channels; ++c) {
        const T diff = load_ro(x + static_cast<int64_t>(c) * n + row) -
                       load_ro(y + static_cast<int64_t>(c) * m + j);
        s = fused(diff, diff, s);
      }
      return s + best;
    }
  }

  /// Computes column j = s - lane of the strip. Masked: lanes outside [jlo, jhi] keep their
  /// registers, cells outside the band become +inf.
  template <bool Masked>
  SP_KERNEL_FN void compute(int j, Word* dir_out) {
    if (Masked && (j < jlo || j > jhi)) return;
    const T inf = std::numeric_limits<T>::infinity();
    T dg = diag, u = up;
    Word word = 0;
#pragma unroll
    for (int k = 0; k < C; ++k) {
      const T left = d[k];
      T best;
      if constexpr (kPaths) {
        uint8_t dir;
        best = min3_dir(dg, u, left, &dir);
        word |= static_cast<Word>(static_cast<unsigned>(dir) << (2 * k));
      } else {
        // min(dg, left) does not wait for the cell above: one min on the dependency chain
        // (u -> min -> fma -> next u) instead of two. Same value: no NaN reaches here.
        best = fast_min(u, fast_min(dg, left));
      }
      T v = cell_value(k, j, best);
      if constexpr (Masked) {
        const int off = j - (ib + k) + r;  // in band iff 0 <= off <= 2r
        if (static_cast<unsigned>(off) > 2u * static_cast<unsigned>(r)) v = inf;
      }
      dg = left;
      u = v;
      d[k] = v;
    }
    if constexpr (kPaths) *dir_out = word;
  }

  static SP_KERNEL_FN int min_i(int a, int b) {
    return a < b ? a : b;
  }
  static SP_KERNEL_FN int max_i(int a, int b) {
    return a > b ? a : b;
  }
};

/// Runs one work item on a group. `lanes` is the executor: Lanes::kCount lane states live in this
/// thread (1 on the device, G on the CPU), lanes.lane(q) is the lane number of state q,
/// lanes.shfl_up(v, out) gives each lane the value of the lane below (lane 0 keeps its own),
/// lanes.sync() orders the boundary row between tiles, lanes.on_step(masked) counts steps (a no-op
/// on the device). bnd_a and bnd_b: the group's two boundary rows.
template <class T, int G, int C, int CH, bool kPaths, class Lanes>
SP_KERNEL_FN void run_item(const ItemArgs<T>& a, const WorkItem& w, Lanes& lanes, T* bnd_a,
                           T* bnd_b) {
  using S = Strip<T, G, C, CH, kPaths>;
  using Word = typename S::Word;
  constexpr int Q = Lanes::kCount;
  constexpr int R = G * C;
  const T inf = std::numeric_limits<T>::infinity();

  S st[Q];
#pragma unroll
  for (int q = 0; q < Q; ++q) {
    st[q].x = a.values + w.x_off;
    st[q].y = a.values + w.y_off;
    st[q].n = w.n;
    st[q].m = w.m;
    st[q].r = w.r;
    st[q].channels = a.channels;
    st[q].lane = lanes.lane(q);
  }
  const int n = w.n, m = w.m, r = w.r;
  const int tiles = (n + R - 1) / R;
  Word* dirs = kPaths ? static_cast<Word*>(a.dirs) + w.dir_off : nullptr;
  int64_t dir_tile = 0;
  T* rd = bnd_a;  // row above this tile
  T* wr = bnd_b;  // last row of this tile, for the next one

  for (int t = 0; t < tiles; ++t) {
    const int i0 = t * R;
    const int jlo = S::max_i(0, i0 - r);
    const int jhi = S::min_i(m - 1, i0 + R - 1 + r);
    const int s_end = jhi + G - 1;
    const int rd_base = S::max_i(0, i0 - r - 1);  // column stored at rd[0]
    const int rd_last = t > 0 ? S::min_i(m - 1, i0 - 1 + r) : -1;
    const int wr_base = S::max_i(0, i0 + R - r - 1);
    // Unmasked steps: every lane active and every cell of every strip inside the band.
    const int fast_lo = S::max_i(jlo + G - 1, i0 + (G - 1) * (C + 1) + C - 1 - r);
    const int fast_hi = S::min_i(jhi, i0 + r);
    auto boundary = [&](int lane, int col) -> T {
      return (lane == 0 && col <= rd_last) ? rd[col - rd_base] : inf;
    };

    T b1[Q], b2[Q];
    bool writes_boundary[Q];
#pragma unroll
    for (int q = 0; q < Q; ++q) {
      S& x = st[q];
      const int lane = x.lane;
      x.ib = i0 + lane * C;
      x.jlo = jlo;
      x.jhi = jhi;
      writes_boundary[q] = (t + 1 < tiles) && lane == G - 1;
      x.load_rows();
#pragma unroll
      for (int k = 0; k < C; ++k) x.d[k] = inf;
      x.up = boundary(lane, jlo);
      x.diag = inf;
      if (lane == 0) x.diag = t == 0 ? T(0) : (jlo > 0 ? rd[jlo - 1 - rd_base] : inf);
      b1[q] = boundary(lane, jlo + 1);
      b2[q] = boundary(lane, jlo + 2);
      x.load_column(jlo - lane, x.yv);
    }

    auto step = [&](auto masked, int s) {
      lanes.on_step(decltype(masked)::value);
      T last[Q], above[Q];
      T yn[Q][S::kRegCh];
#pragma unroll
      for (int q = 0; q < Q; ++q) {
        S& x = st[q];
        const int j = s - x.lane;
        x.load_column(j + 1, yn[q]);
        Word* dout =
            kPaths ? dirs + dir_tile + static_cast<int64_t>(s - jlo) * G + x.lane : nullptr;
        x.template compute<decltype(masked)::value>(j, dout);
        if (writes_boundary[q] && j >= wr_base && j >= jlo && j <= jhi)
          wr[j - wr_base] = x.d[C - 1];
        last[q] = x.d[C - 1];
      }
      lanes.shfl_up(last, above);
#pragma unroll
      for (int q = 0; q < Q; ++q) {
        S& x = st[q];
        x.diag = x.up;
        x.up = x.lane == 0 ? b1[q] : above[q];
        b1[q] = b2[q];
        b2[q] = boundary(x.lane, s + 3);
        if constexpr (CH > 0) {  // the any-channel variant reads its frames per cell
#pragma unroll
          for (int c = 0; c < CH; ++c) x.yv[c] = yn[q][c];
        }
      }
    };

    int s = jlo;
    const int ramp_end = S::min_i(fast_lo, s_end + 1);
    for (; s < ramp_end; ++s) step(std::true_type{}, s);
    // Not unrolled on purpose: `#pragma unroll 2` here (to let the strip's registers alternate
    // between two copies of the body instead of ~21 moves per step) made ptxas 13.0 report 72
    // registers and 32 bytes of spills for the main <float, 32, 16, 1> kernel, against 80 and none
    // without it. Whether those spills sit in this loop needs the SASS and a GPU timing
    // (bench/RESULTS.md, "CUDA DTW: owed measurements").
    for (; s <= fast_hi; ++s) step(std::false_type{}, s);
    for (; s <= s_end; ++s) step(std::true_type{}, s);

    if (t + 1 == tiles) {
#pragma unroll
      for (int q = 0; q < Q; ++q) {
        const int kstar = (n - 1) - st[q].ib;
        T v = inf;
#pragma unroll
        for (int k = 0; k < C; ++k)
          if (k == kstar) v = st[q].d[k];
        if (kstar >= 0 && kstar < C) a.results[w.result] = a.squared ? v : root(v);
      }
    }
    if constexpr (kPaths) dir_tile += static_cast<int64_t>(s_end - jlo + 1) * G;
    lanes.sync();  // the boundary row written by lane G-1 is read by lane 0 next tile
    T* tmp = rd;
    rd = wr;
    wr = tmp;
  }
}

#if !defined(__CUDACC__)
/// The CPU executor of run_item: all G lanes of a group in this thread, in lockstep. Counts the
/// masked and unmasked steps it runs (tests check both bodies ran).
template <int G>
struct HostLanes {
  static constexpr int kCount = G;
  int64_t masked_steps = 0;
  int64_t unmasked_steps = 0;

  int lane(int q) const { return q; }
  template <class T>
  void shfl_up(const T (&v)[G], T (&out)[G]) const {
    out[0] = v[0];
    for (int q = 1; q < G; ++q) out[q] = v[q - 1];
  }
  void sync() const {}
  void on_step(bool masked) { ++(masked ? masked_steps : unmasked_steps); }
};
#endif

}  // namespace swingpipe::dtw::detail
