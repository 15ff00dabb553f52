#pragma once
// The DTW wavefront kernel (design.md §4, DTW), shared by the float and double instantiation files.
//
// One group of G lanes (G = 32: a warp; G = 8: a sub-warp for short series or narrow bands)
// computes one work item (a pair of series) at a time, taking items from a length-sorted list
// through an atomic counter. The rows of the cost matrix are cut into tiles of R = G * C rows; in a
// tile, lane l owns rows i0 + l*C ... i0 + l*C + C-1 and keeps those C cells of the current column
// in registers (compile-time unrolled: no local memory). At step s lane l computes column
// j = s - l: the wavefront is skewed by one column per lane, and the value of the row above a
// lane's strip (the last cell of lane l-1, one step earlier) arrives by __shfl_up_sync. Lane 0
// reads the row above the tile (written by lane G-1 of the previous tile) from a per-group
// boundary buffer in global memory, prefetched two steps ahead.
//
// Band: a tile visits only the columns [i0 - r, i0 + R - 1 + r] of its rows (columns outside
// are skipped, not masked). Steps where every lane is active and every cell of every strip is in
// the band run an unmasked body; the ramps at both ends of a tile run a masked body that keeps
// inactive lanes' registers untouched and sets out-of-band cells to +inf.
//
// Paths: each active lane also stores, per step, one word holding the 2-bit direction codes of
// its C cells (kernels/common/dtw_math.hpp's tie order). Words are laid out per tile as
// [step][lane], so the G lanes of a step store one coalesced run; dtw_cuda.cu backtracks on the
// host from the same layout.
//
// NaN inputs never reach the kernel (the host answers NaN for such pairs), so min() may use the
// hardware fmin, which drops NaN.
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "common/dtw_math.hpp"

namespace swingpipe::dtw::cuda::detail {

namespace math = ::swingpipe::dtw::detail;

inline constexpr int kBlockThreads = 128;

/// One pair. The row series is the shorter one for distances (DTW is symmetric under
/// transposition; paths keep the caller's orientation).
struct WorkItem {
  int64_t x_off = 0;    ///< element offset of the row series (n frames, channel-major)
  int64_t y_off = 0;    ///< element offset of the column series (m frames)
  int64_t dir_off = 0;  ///< paths: first direction word of this item
  int32_t n = 0, m = 0, r = 0;
  int32_t result = 0;  ///< index into KernelArgs::results
};

template <class T>
struct KernelArgs {
  const T* values = nullptr;  ///< all series, channel-major, absolute offsets in WorkItem
  const WorkItem* items = nullptr;
  int n_items = 0;
  int channels = 1;
  int* counter = nullptr;  ///< next item to take; zeroed before the launch
  T* boundary = nullptr;   ///< per group: 2 * boundary_stride elements (row above a tile)
  int64_t boundary_stride = 0;
  T* results = nullptr;  ///< D(n-1, m-1), or its sqrt unless squared
  void* dirs = nullptr;  ///< paths only: direction words
  bool squared = false;
};

/// The word that holds the direction codes of one lane's C cells at one step.
template <int C>
using DirWord =
    std::conditional_t<(C <= 4), uint8_t, std::conditional_t<(C <= 8), uint16_t, uint32_t>>;

template <class T>
__device__ __forceinline__ T inf_v() {
  return static_cast<T>(__int_as_float(0x7f800000));
}
__device__ __forceinline__ float fast_min(float a, float b) {
  return fminf(a, b);
}
__device__ __forceinline__ double fast_min(double a, double b) {
  return fmin(a, b);
}

/// One group's state for one tile, and the step that advances it by one column.
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

  __device__ __forceinline__ void load_rows() {
    if constexpr (CH > 0) {
#pragma unroll
      for (int k = 0; k < C; ++k) {
        const int row = min(ib + k, n - 1);
#pragma unroll
        for (int c = 0; c < CH; ++c) xr[k][c] = x[static_cast<int64_t>(c) * n + row];
      }
    }
  }

  __device__ __forceinline__ void load_column(int j, T* out) const {
    if constexpr (CH > 0) {
      const int col = min(max(j, 0), m - 1);
#pragma unroll
      for (int c = 0; c < CH; ++c) out[c] = __ldg(y + static_cast<int64_t>(c) * m + col);
    }
  }

  __device__ __forceinline__ T cell_cost(int k, int j) const {
    if constexpr (CH > 0) {
      T s = T(0);
#pragma unroll
      for (int c = 0; c < CH; ++c) {
        const T diff = xr[k][c] - yv[c];
        s = c == 0 ? diff * diff : fma(diff, diff, s);
      }
      return s;
    } else {
      const int row = min(ib + k, n - 1);
      return math::frame_cost(x, n, row, y, m, j, channels);
    }
  }

  /// Computes column j = s - lane of the strip. Masked: lanes outside [jlo, jhi] keep their
  /// registers, cells outside the band become +inf.
  template <bool Masked>
  __device__ __forceinline__ void compute(int j, Word* dir_out) {
    if (Masked && (j < jlo || j > jhi)) return;
    const T inf = inf_v<T>();
    T dg = diag, u = up;
    Word word = 0;
#pragma unroll
    for (int k = 0; k < C; ++k) {
      const T left = d[k];
      T best;
      if constexpr (kPaths) {
        uint8_t dir;
        best = math::min3_dir(dg, u, left, &dir);
        word |= static_cast<Word>(static_cast<unsigned>(dir) << (2 * k));
      } else {
        best = fast_min(fast_min(dg, u), left);
      }
      T v = cell_cost(k, j) + best;
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
};

template <class T, int G, int C, int CH, bool kPaths>
__device__ __forceinline__ void run_item(const KernelArgs<T>& a, const WorkItem& w, int lane,
                                         unsigned mask, T* bnd_a, T* bnd_b) {
  using S = Strip<T, G, C, CH, kPaths>;
  using Word = typename S::Word;
  constexpr int R = G * C;
  const T inf = inf_v<T>();

  S st;
  st.x = a.values + w.x_off;
  st.y = a.values + w.y_off;
  st.n = w.n;
  st.m = w.m;
  st.r = w.r;
  st.channels = a.channels;
  st.lane = lane;
  const int n = w.n, m = w.m, r = w.r;
  const int tiles = (n + R - 1) / R;
  Word* dirs = kPaths ? static_cast<Word*>(a.dirs) + w.dir_off : nullptr;
  int64_t dir_tile = 0;
  T* rd = bnd_a;  // row above this tile
  T* wr = bnd_b;  // last row of this tile, for the next one

  for (int t = 0; t < tiles; ++t) {
    const int i0 = t * R;
    st.ib = i0 + lane * C;
    st.jlo = max(0, i0 - r);
    st.jhi = min(m - 1, i0 + R - 1 + r);
    const int jlo = st.jlo, jhi = st.jhi;
    const int s_end = jhi + G - 1;
    const int rd_base = max(0, i0 - r - 1);  // column stored at rd[0]
    const int rd_last = t > 0 ? min(m - 1, i0 - 1 + r) : -1;
    const int wr_base = max(0, i0 + R - r - 1);
    const bool writes_boundary = (t + 1 < tiles) && lane == G - 1;
    // Unmasked steps: every lane active and every cell of every strip inside the band.
    const int fast_lo = max(jlo + G - 1, i0 + (G - 1) * (C + 1) + C - 1 - r);
    const int fast_hi = min(jhi, i0 + r);

    st.load_rows();
#pragma unroll
    for (int k = 0; k < C; ++k) st.d[k] = inf;
    auto boundary = [&](int col) -> T {
      return (lane == 0 && col <= rd_last) ? rd[col - rd_base] : inf;
    };
    st.up = boundary(jlo);
    st.diag = inf;
    if (lane == 0) st.diag = t == 0 ? T(0) : (jlo > 0 ? rd[jlo - 1 - rd_base] : inf);
    T b1 = boundary(jlo + 1), b2 = boundary(jlo + 2);
    st.load_column(jlo - lane, st.yv);

    auto step = [&](auto masked, int s) {
      const int j = s - lane;
      T yn[S::kRegCh]{};
      st.load_column(j + 1, yn);
      Word* dout = kPaths ? dirs + dir_tile + static_cast<int64_t>(s - jlo) * G + lane : nullptr;
      st.template compute<decltype(masked)::value>(j, dout);
      if (writes_boundary && j >= wr_base && j >= jlo && j <= jhi) wr[j - wr_base] = st.d[C - 1];
      const T above = __shfl_up_sync(mask, st.d[C - 1], 1, G);
      st.diag = st.up;
      st.up = lane == 0 ? b1 : above;
      b1 = b2;
      b2 = boundary(s + 3);
#pragma unroll
      for (int c = 0; c < S::kRegCh; ++c) st.yv[c] = yn[c];
    };

    int s = jlo;
    const int ramp_end = min(fast_lo, s_end + 1);
    for (; s < ramp_end; ++s) step(std::true_type{}, s);
    for (; s <= fast_hi; ++s) step(std::false_type{}, s);
    for (; s <= s_end; ++s) step(std::true_type{}, s);

    if (t + 1 == tiles) {
      const int kstar = (n - 1) - st.ib;
      T v = inf;
#pragma unroll
      for (int k = 0; k < C; ++k)
        if (k == kstar) v = st.d[k];
      if (kstar >= 0 && kstar < C) a.results[w.result] = a.squared ? v : sqrt(v);
    }
    if constexpr (kPaths) dir_tile += static_cast<int64_t>(s_end - jlo + 1) * G;
    __syncwarp(mask);  // the boundary row written by lane G-1 is read by lane 0 next tile
    T* tmp = rd;
    rd = wr;
    wr = tmp;
  }
}

template <class T, int G, int C, int CH, bool kPaths>
__global__ void __launch_bounds__(kBlockThreads) dtw_kernel(const KernelArgs<T> a) {
  static_assert(G == 32 || G == 16 || G == 8 || G == 4, "group width must divide a warp");
  static_assert(2 * C <= 32, "direction word holds at most 16 cells");
  const int lane = static_cast<int>(threadIdx.x) & (G - 1);
  const int warp_lane = static_cast<int>(threadIdx.x) & 31;
  const unsigned mask =
      G == 32 ? 0xffffffffu : (((1u << G) - 1u) << static_cast<unsigned>(warp_lane & ~(G - 1)));
  const int64_t group = (static_cast<int64_t>(blockIdx.x) * kBlockThreads + threadIdx.x) / G;
  T* bnd_a = a.boundary + group * 2 * a.boundary_stride;
  T* bnd_b = bnd_a + a.boundary_stride;
  for (;;) {
    int item = 0;
    if (lane == 0) item = atomicAdd(a.counter, 1);
    item = __shfl_sync(mask, item, 0, G);
    if (item >= a.n_items) return;
    run_item<T, G, C, CH, kPaths>(a, a.items[item], lane, mask, bnd_a, bnd_b);
  }
}

}  // namespace swingpipe::dtw::cuda::detail
