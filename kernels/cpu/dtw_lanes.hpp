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
                           3 * static_cast<std::size_t>(M + 1);
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

// Two rows per pass: row i and row i+1 advance together along j, so two independent dependency
// chains (left -> min -> add) are in flight and row i's values feed row i+1 from registers.
// Buffers hold cell j at index j + 1; index 0 is the j = -1 border. Invariants: a row's buffer is
// +inf at index lo (left of its first cell) and beyond hi + 1 (never written by earlier rows).
template <class T, int W, bool Masked, bool Abandon, bool OneChannel>
void recurrence(Group<T>& g, const typename VecOf<T, W>::type* X,
                const typename VecOf<T, W>::type* Y, typename VecOf<T, W>::type* prev,
                typename VecOf<T, W>::type* cur0, typename VecOf<T, W>::type* cur1, int64_t N,
                int64_t M, int64_t R) {
  using V = typename VecOf<T, W>::type;
  const T inf_s = __builtin_inf();
  const V inf = splat<V>(inf_s);
  const int C = g.channels;
  V rv = splat<V>(T(0));
  for (int l = 0; l < W; ++l) set_lane<T>(rv, l, static_cast<T>(g.r[l]));
  for (int64_t k = 0; k <= M; ++k) {
    prev[k] = inf;
    cur0[k] = inf;
    cur1[k] = inf;
  }
  prev[0] = splat<V>(T(0));
  const V thr = splat<V>(g.threshold);
  auto mask = [&](V v, int64_t i, int64_t j) {
    if constexpr (Masked) {
      const int64_t dist = i > j ? i - j : j - i;
      const V dv = splat<V>(static_cast<T>(dist));
      return dv <= rv ? v : inf;
    } else {
      (void)i;
      (void)j;
      return v;
    }
  };
  auto extract = [&](const V* row, int64_t i) {
    for (int l = 0; l < W; ++l)
      if (g.n[l] - 1 == i) g.acc[l] = lane<T>(row[g.m[l]], l);
  };
  auto abandon = [&](V rowmin) {
    for (int l = 0; l < W; ++l)
      if (!(lane<T>(rowmin, l) > lane<T>(thr, l))) return false;
    return true;
  };
  int64_t i = 0;
  for (; i + 1 < N; i += 2) {
    const int64_t lo0 = imax(0, i - R), hi0 = imin(M - 1, i + R);
    const int64_t lo1 = imax(0, i + 1 - R), hi1 = imin(M - 1, i + 1 + R);
    cur0[lo0] = inf;
    cur1[lo1] = inf;
    V left0 = inf, left1 = inf, min0 = inf, min1 = inf;
    int64_t j = lo0;
    for (; j < lo1 && j <= hi0; ++j) {  // row i only (at most one cell)
      const V v = mask(cell_cost<T, W, OneChannel>(X, Y, C, N, M, i, j) +
                           vmin(vmin(prev[j], prev[j + 1]), left0),
                       i, j);
      cur0[j + 1] = v;
      left0 = v;
      if constexpr (Abandon) min0 = vmin(min0, v);
    }
    for (; j <= hi0; ++j) {  // both rows
      const V c0 = cell_cost<T, W, OneChannel>(X, Y, C, N, M, i, j);
      const V c1 = cell_cost<T, W, OneChannel>(X, Y, C, N, M, i + 1, j);
      const V v0 = mask(c0 + vmin(vmin(prev[j], prev[j + 1]), left0), i, j);
      const V v1 = mask(c1 + vmin(vmin(left0, v0), left1), i + 1, j);
      cur0[j + 1] = v0;
      cur1[j + 1] = v1;
      left0 = v0;
      left1 = v1;
      if constexpr (Abandon) {
        min0 = vmin(min0, v0);
        min1 = vmin(min1, v1);
      }
    }
    for (; j <= hi1; ++j) {  // row i+1 only (at most one cell): up is outside row i's band
      const V v1 =
          mask(cell_cost<T, W, OneChannel>(X, Y, C, N, M, i + 1, j) + vmin(vmin(left0, inf), left1),
               i + 1, j);
      cur1[j + 1] = v1;
      left0 = inf;
      left1 = v1;
      if constexpr (Abandon) min1 = vmin(min1, v1);
    }
    extract(cur0, i);
    extract(cur1, i + 1);
    if constexpr (Abandon) {
      // Every path crosses both rows: the lane's result is >= the larger of the two minima.
      const V mx = min0 < min1 ? min1 : min0;
      if (abandon(mx)) {
        g.abandoned = true;
        return;
      }
    }
    V* t = prev;
    prev = cur1;
    cur1 = cur0;
    cur0 = t;
  }
  if (i < N) {  // last row when N is odd
    const int64_t lo = imax(0, i - R), hi = imin(M - 1, i + R);
    cur0[lo] = inf;
    V left = inf;
    V rowmin = inf;
    for (int64_t j = lo; j <= hi; ++j) {
      const V v = mask(
          cell_cost<T, W, OneChannel>(X, Y, C, N, M, i, j) + vmin(vmin(prev[j], prev[j + 1]), left),
          i, j);
      cur0[j + 1] = v;
      left = v;
      if constexpr (Abandon) rowmin = vmin(rowmin, v);
    }
    extract(cur0, i);
    if constexpr (Abandon) {
      if (abandon(rowmin)) {
        g.abandoned = true;
        return;
      }
    }
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
  V* prev = Y + C * M;
  V* cur0 = prev + (M + 1);
  V* cur1 = cur0 + (M + 1);
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
        recurrence<T, W, true, false, true>(g, X, Y, prev, cur0, cur1, N, M, R);
      else
        recurrence<T, W, false, false, true>(g, X, Y, prev, cur0, cur1, N, M, R);
    } else {
      if (masked)
        recurrence<T, W, true, false, false>(g, X, Y, prev, cur0, cur1, N, M, R);
      else
        recurrence<T, W, false, false, false>(g, X, Y, prev, cur0, cur1, N, M, R);
    }
  } else {
    if (C == 1) {
      if (masked)
        recurrence<T, W, true, true, true>(g, X, Y, prev, cur0, cur1, N, M, R);
      else
        recurrence<T, W, false, true, true>(g, X, Y, prev, cur0, cur1, N, M, R);
    } else {
      if (masked)
        recurrence<T, W, true, true, false>(g, X, Y, prev, cur0, cur1, N, M, R);
      else
        recurrence<T, W, false, true, false>(g, X, Y, prev, cur0, cur1, N, M, R);
    }
  }
}

}  // namespace
}  // namespace swingpipe::dtw::cpu
#endif
