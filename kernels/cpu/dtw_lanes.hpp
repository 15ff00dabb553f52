#pragma once
// Internal to the CPU DTW backend: DTW of up to 16 pairs at once, one pair per SIMD lane.
//
// A Group holds up to kMaxLanes pairs. The kernel packs them interleaved (frame t of every lane
// next to each other), runs one band-limited two-row recurrence over the largest shape in the
// group and reads each lane's result at its own (n-1, m-1): cells beyond a lane's own lengths are
// computed on zero padding but never feed that lane's result (DTW only looks up and left). Lanes
// with a smaller radius than the group's are masked to +inf outside their own band.
//
// The kernel template is compiled once per ISA (dtw_kernel_avx512.cpp, dtw_kernel_avx2.cpp and
// the baseline in dtw_cpu.cpp) with GCC vector types; everything in it has internal linkage and it
// uses no std:: templates, so no ISA-specific code can leak into other translation units through
// COMDAT folding.
#include <cstddef>
#include <cstdint>

namespace swingpipe::dtw::cpu {

inline constexpr int kMaxLanes = 16;
/// Rows the kernel advances together (independent dependency chains); 4 measured best on Zen 4.
inline constexpr int kBlockRows = 4;

template <class T>
struct Group {
  int count = 0;  ///< real lanes; unused lanes are filled with copies of lane 0
  int channels = 1;
  const T* x[kMaxLanes] = {};
  const T* y[kMaxLanes] = {};
  int64_t n[kMaxLanes] = {};
  int64_t m[kMaxLanes] = {};
  int64_t r[kMaxLanes] = {};
  /// Early abandoning (knn): stop as soon as every lane's row minimum is > threshold. +inf = never.
  T threshold = T(0);
  bool use_threshold = false;
  // outputs
  T acc[kMaxLanes] = {};  ///< accumulated squared cost at (n-1, m-1)
  bool abandoned = false;
};

/// Bytes of workspace a group needs with `lane_bytes` = W * sizeof(T) (plus 64 for alignment).
inline std::size_t group_workspace_bytes(std::size_t lane_bytes, int channels, int64_t N,
                                         int64_t M) {
  const std::size_t vecs = static_cast<std::size_t>(channels) * static_cast<std::size_t>(N + M) +
                           (kBlockRows + 1) * static_cast<std::size_t>(M + 1);
  return vecs * lane_bytes + 64;
}

enum class Level { scalar = 0, avx2 = 1, avx512 = 2 };

/// Lanes per group at a level for T.
template <class T>
constexpr int lanes(Level level) {
  const int bytes = level == Level::avx512 ? 64 : level == Level::avx2 ? 32 : int(sizeof(T));
  return bytes / int(sizeof(T));
}

// One entry point per ISA and type (defined in the ISA translation units).
void run_group_scalar(Group<float>& g, void* workspace);
void run_group_scalar(Group<double>& g, void* workspace);
void run_group_avx2(Group<float>& g, void* workspace);
void run_group_avx2(Group<double>& g, void* workspace);
void run_group_avx512(Group<float>& g, void* workspace);
void run_group_avx512(Group<double>& g, void* workspace);

}  // namespace swingpipe::dtw::cpu

// ---- the kernel template (included by the ISA translation units with SP_DTW_KERNEL_IMPL) ----
#ifdef SP_DTW_KERNEL_IMPL
namespace swingpipe::dtw::cpu {
namespace {

template <class T, int W>
struct VecOf {
  typedef T type __attribute__((vector_size(W * sizeof(T))));
};
template <class T>
struct VecOf<T, 1> {
  using type = T;
};

template <class V>
inline V vmin(V a, V b) {
  return a < b ? a : b;
}
template <class V, class T>
inline V splat(T v) {
  V r;
  if constexpr (sizeof(V) == sizeof(T)) {
    r = v;
  } else {
    r = V{} + v;
  }
  return r;
}
template <class T, class V>
inline T lane(const V& v, int l) {
  if constexpr (sizeof(V) == sizeof(T)) {
    (void)l;
    return v;
  } else {
    return v[l];
  }
}
template <class T, class V>
inline void set_lane(V& v, int l, T value) {
  if constexpr (sizeof(V) == sizeof(T)) {
    (void)l;
    v = value;
  } else {
    v[l] = value;
  }
}
inline int64_t imax(int64_t a, int64_t b) {
  return a > b ? a : b;
}
inline int64_t imin(int64_t a, int64_t b) {
  return a < b ? a : b;
}

template <class T, int W, bool OneChannel>
inline typename VecOf<T, W>::type cell_cost(const typename VecOf<T, W>::type* X,
                                            const typename VecOf<T, W>::type* Y, int C, int64_t N,
                                            int64_t M, int64_t i, int64_t j) {
  using V = typename VecOf<T, W>::type;
  if constexpr (OneChannel) {
    (void)C;
    (void)N;
    (void)M;
    const V d = X[i] - Y[j];
    return d * d;
  } else {
    V c = splat<V>(T(0));
    for (int ch = 0; ch < C; ++ch) {
      const V d = X[ch * N + i] - Y[ch * M + j];
      c += d * d;
    }
    return c;
  }
}

// K rows per pass (a block): rows i .. i+K-1 advance together along j, so K independent
// dependency chains (left -> min -> add) are in flight, row k's values feed row k+1 from registers
// and only row i reads the previous block's last row from memory. Buffers hold cell j at index
// j + 1 (index 0 is the j = -1 border); cells outside a row's band are +inf, also when written.
template <class T, int W, int K, bool Masked, bool Abandon, bool OneChannel>
bool block(Group<T>& g, const typename VecOf<T, W>::type* X, const typename VecOf<T, W>::type* Y,
           const typename VecOf<T, W>::type* prev, typename VecOf<T, W>::type* const* cur,
           int64_t N, int64_t M, int64_t R, int64_t i, typename VecOf<T, W>::type rv,
           typename VecOf<T, W>::type thr) {
  using V = typename VecOf<T, W>::type;
  const V inf = splat<V>(static_cast<T>(__builtin_inf()));
  const int C = g.channels;
  int64_t lo[K], hi[K];
  V left[K], rowmin[K];
  for (int k = 0; k < K; ++k) {
    lo[k] = imax(0, i + k - R);
    hi[k] = imin(M - 1, i + k + R);
    left[k] = inf;
    rowmin[k] = inf;
    cur[k][lo[k]] = inf;
  }
  auto mask = [&](V v, int64_t row, int64_t j) {
    if constexpr (Masked) {
      const int64_t dist = row > j ? row - j : j - row;
      const V dv = splat<V>(static_cast<T>(dist));
      return dv <= rv ? v : inf;
    } else {
      (void)row;
      (void)j;
      return v;
    }
  };
  // One column j of the block; Checked: some row may be outside its band at j.
  auto column = [&]<bool Checked>(int64_t j) {
    V diag = prev[j], up = prev[j + 1];
    for (int k = 0; k < K; ++k) {
      V v;
      if (!Checked || (j >= lo[k] && j <= hi[k]))
        v = mask(
            cell_cost<T, W, OneChannel>(X, Y, C, N, M, i + k, j) + vmin(vmin(diag, up), left[k]),
            i + k, j);
      else
        v = inf;
      cur[k][j + 1] = v;
      diag = left[k];
      up = v;
      left[k] = v;
      if constexpr (Abandon) rowmin[k] = vmin(rowmin[k], v);
    }
  };
  const int64_t first = lo[0], last = hi[K - 1];
  const int64_t inner_lo = lo[K - 1], inner_hi = hi[0];  // every row in band
  int64_t j = first;
  for (; j <= last && j < inner_lo; ++j) column.template operator()<true>(j);
  for (; j <= inner_hi; ++j) column.template operator()<false>(j);
  for (; j <= last; ++j) column.template operator()<true>(j);
  for (int k = 0; k < K; ++k)
    for (int l = 0; l < W; ++l)
      if (g.n[l] - 1 == i + k) g.acc[l] = lane<T>(cur[k][g.m[l]], l);
  if constexpr (Abandon) {
    // Every path crosses every row: the result is >= the largest row minimum.
    V mx = rowmin[0];
    for (int k = 1; k < K; ++k) mx = mx < rowmin[k] ? rowmin[k] : mx;
    for (int l = 0; l < W; ++l)
      if (!(lane<T>(mx, l) > lane<T>(thr, l))) return false;
    return true;
  }
  return false;
}

template <class T, int W, bool Masked, bool Abandon, bool OneChannel>
void recurrence(Group<T>& g, const typename VecOf<T, W>::type* X,
                const typename VecOf<T, W>::type* Y, typename VecOf<T, W>::type* rows, int64_t N,
                int64_t M, int64_t R) {
  using V = typename VecOf<T, W>::type;
  const V inf = splat<V>(static_cast<T>(__builtin_inf()));
  V rv = splat<V>(T(0));
  for (int l = 0; l < W; ++l) set_lane<T>(rv, l, static_cast<T>(g.r[l]));
  const V thr = splat<V>(g.threshold);
  // kBlockRows + 1 row buffers of M + 1 vectors: the previous block's last row and this block's.
  V* buf[kBlockRows + 1];
  for (int b = 0; b <= kBlockRows; ++b) buf[b] = rows + b * (M + 1);
  for (int64_t k = 0; k < (kBlockRows + 1) * (M + 1); ++k) rows[k] = inf;
  buf[0][0] = splat<V>(T(0));  // D(-1, -1) = 0
  int64_t i = 0;
  for (; i + kBlockRows <= N; i += kBlockRows) {
    if (block<T, W, kBlockRows, Masked, Abandon, OneChannel>(g, X, Y, buf[0], buf + 1, N, M, R, i,
                                                             rv, thr)) {
      g.abandoned = true;
      return;
    }
    V* t = buf[0];
    buf[0] = buf[kBlockRows];
    buf[kBlockRows] = t;
  }
  for (; i < N; ++i) {
    if (block<T, W, 1, Masked, Abandon, OneChannel>(g, X, Y, buf[0], buf + 1, N, M, R, i, rv,
                                                    thr)) {
      g.abandoned = true;
      return;
    }
    V* t = buf[0];
    buf[0] = buf[1];
    buf[1] = t;
  }
}

template <class T, int W>
void run_group_impl(Group<T>& g, void* workspace) {
  using V = typename VecOf<T, W>::type;
  // Fill unused lanes with copies of lane 0 so they neither fault nor block abandoning.
  for (int l = g.count; l < W; ++l) {
    g.x[l] = g.x[0];
    g.y[l] = g.y[0];
    g.n[l] = g.n[0];
    g.m[l] = g.m[0];
    g.r[l] = g.r[0];
  }
  int64_t N = 0, M = 0, R = 0;
  bool masked = false;
  for (int l = 0; l < W; ++l) {
    N = imax(N, g.n[l]);
    M = imax(M, g.m[l]);
    R = imax(R, g.r[l]);
  }
  for (int l = 0; l < W; ++l) masked = masked || g.r[l] != R;
  const int C = g.channels;
  auto base = reinterpret_cast<uintptr_t>(workspace);
  base = (base + 63) & ~uintptr_t(63);
  V* X = reinterpret_cast<V*>(base);
  V* Y = X + C * N;
  V* rows = Y + C * M;
  for (int ch = 0; ch < C; ++ch) {
    for (int64_t t = 0; t < N; ++t) X[ch * N + t] = splat<V>(T(0));
    for (int64_t t = 0; t < M; ++t) Y[ch * M + t] = splat<V>(T(0));
    for (int l = 0; l < W; ++l) {
      const T* xs = g.x[l] + ch * g.n[l];
      for (int64_t t = 0; t < g.n[l]; ++t) set_lane<T>(X[ch * N + t], l, xs[t]);
      const T* ys = g.y[l] + ch * g.m[l];
      for (int64_t t = 0; t < g.m[l]; ++t) set_lane<T>(Y[ch * M + t], l, ys[t]);
    }
  }
  g.abandoned = false;
  if (!g.use_threshold) {
    if (C == 1) {
      if (masked)
        recurrence<T, W, true, false, true>(g, X, Y, rows, N, M, R);
      else
        recurrence<T, W, false, false, true>(g, X, Y, rows, N, M, R);
    } else {
      if (masked)
        recurrence<T, W, true, false, false>(g, X, Y, rows, N, M, R);
      else
        recurrence<T, W, false, false, false>(g, X, Y, rows, N, M, R);
    }
  } else {
    if (C == 1) {
      if (masked)
        recurrence<T, W, true, true, true>(g, X, Y, rows, N, M, R);
      else
        recurrence<T, W, false, true, true>(g, X, Y, rows, N, M, R);
    } else {
      if (masked)
        recurrence<T, W, true, true, false>(g, X, Y, rows, N, M, R);
      else
        recurrence<T, W, false, true, false>(g, X, Y, rows, N, M, R);
    }
  }
}

}  // namespace
}  // namespace swingpipe::dtw::cpu
#endif
