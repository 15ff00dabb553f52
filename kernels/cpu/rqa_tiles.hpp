#pragma once
// Internal to the CPU RQA backend: the SIMD part of a 64 x 64 tile (rows i0.., columns j0..):
// the recurrence bits, the largest value, and the counting pass of the exact quantile search.
//
// The template below is compiled once per ISA (rqa_tiles_avx512.cpp, rqa_tiles_avx2.cpp and the
// scalar baseline in rqa_tiles_scalar.cpp) with GCC vector types; like the DTW lanes it has
// internal linkage and uses no std:: templates, so no ISA-specific code leaks into other
// translation units through COMDAT folding. The arithmetic is common/rqa_math.hpp's cell_value,
// lane by lane: x_i - y_j, then squares summed / |.| maxed / summed in coordinate order, each
// operation rounded on its own (these files are built with -ffp-contract=off).
#include <cstdint>

namespace swingpipe::rqa::cpu {

/// One or two point groups of a tile problem: rows x (stride xs), columns y (stride ys), both
/// readable 64 columns past any tile start (the engine pads them). norm: 0 euclidean, 1 maximum,
/// 2 manhattan. Recurrent iff value < limit (and value2 < limit2 when joint).
template <class T>
struct TileJob {
  const T* x = nullptr;
  int64_t xs = 0;
  const T* y = nullptr;
  int64_t ys = 0;
  int dims = 0;
  int norm = 0;
  T limit = 0;
  bool joint = false;
  const T* x2 = nullptr;
  int64_t x2s = 0;
  const T* y2 = nullptr;
  int64_t y2s = 0;
  int dims2 = 0;
  T limit2 = 0;
};

/// Counting pass of the quantile search: values below `lo` are counted (times weight), values in
/// [lo, hi] land in hist[(bits(value) - bits(lo)) >> shift] (times weight), or, when `out` is
/// set, are appended to it (weight times each).
template <class T>
struct CountJob {
  T lo = 0, hi = 0;
  int shift = 0;
  int64_t weight = 1;
  int64_t below = 0;
  int64_t* hist = nullptr;
  T* out = nullptr;
  int64_t out_size = 0;      ///< values appended so far
  int64_t out_capacity = 0;  ///< room in out (values past it are counted, not stored)
};

/// The three views of a tile the engine reads runs from: R[t] bit u = cell (i0 + t, j0 + u) is
/// recurrent (rows t >= `rows` and columns u >= `cols` clear, and, for a diagonal tile of a
/// symmetric matrix, the cells below the diagonal u < t); C = R transposed (C[u] bit t = R[t]
/// bit u); D = the transpose of R[t] rotated right by t (D[p] bit t = R[t] bit (p + t) mod 64).
struct TileViews {
  alignas(64) uint64_t R[64];
  alignas(64) uint64_t C[64];
  alignas(64) uint64_t D[64];
};

void tile_views_scalar(const TileJob<float>& job, int64_t i0, int64_t j0, int rows, int cols,
                       bool lower_clear, TileViews& v);
void tile_views_scalar(const TileJob<double>& job, int64_t i0, int64_t j0, int rows, int cols,
                       bool lower_clear, TileViews& v);
void tile_views_avx2(const TileJob<float>& job, int64_t i0, int64_t j0, int rows, int cols,
                     bool lower_clear, TileViews& v);
void tile_views_avx2(const TileJob<double>& job, int64_t i0, int64_t j0, int rows, int cols,
                     bool lower_clear, TileViews& v);
void tile_views_avx512(const TileJob<float>& job, int64_t i0, int64_t j0, int rows, int cols,
                       bool lower_clear, TileViews& v);
void tile_views_avx512(const TileJob<double>& job, int64_t i0, int64_t j0, int rows, int cols,
                       bool lower_clear, TileViews& v);

// The largest value over rows t < rows and the first `cols` columns (group 1 only).
float tile_max_scalar(const TileJob<float>& job, int64_t i0, int64_t j0, int rows, int cols);
double tile_max_scalar(const TileJob<double>& job, int64_t i0, int64_t j0, int rows, int cols);
float tile_max_avx2(const TileJob<float>& job, int64_t i0, int64_t j0, int rows, int cols);
double tile_max_avx2(const TileJob<double>& job, int64_t i0, int64_t j0, int rows, int cols);
float tile_max_avx512(const TileJob<float>& job, int64_t i0, int64_t j0, int rows, int cols);
double tile_max_avx512(const TileJob<double>& job, int64_t i0, int64_t j0, int rows, int cols);

// Counting pass over the cells of mask[t] (t < rows), group 1 only.
void tile_count_scalar(const TileJob<float>& job, int64_t i0, int64_t j0, int rows,
                       const uint64_t* mask, CountJob<float>& count);
void tile_count_scalar(const TileJob<double>& job, int64_t i0, int64_t j0, int rows,
                       const uint64_t* mask, CountJob<double>& count);
void tile_count_avx2(const TileJob<float>& job, int64_t i0, int64_t j0, int rows,
                     const uint64_t* mask, CountJob<float>& count);
void tile_count_avx2(const TileJob<double>& job, int64_t i0, int64_t j0, int rows,
                     const uint64_t* mask, CountJob<double>& count);
void tile_count_avx512(const TileJob<float>& job, int64_t i0, int64_t j0, int rows,
                       const uint64_t* mask, CountJob<float>& count);
void tile_count_avx512(const TileJob<double>& job, int64_t i0, int64_t j0, int rows,
                       const uint64_t* mask, CountJob<double>& count);

}  // namespace swingpipe::rqa::cpu

// ---- the template (included by the ISA translation units with SP_RQA_TILES_IMPL) ----------------
#ifdef SP_RQA_TILES_IMPL
#include <immintrin.h>

namespace swingpipe::rqa::cpu {
namespace {

template <class T, int W>
struct VecOf {
  typedef T type __attribute__((vector_size(W * sizeof(T))));
};
template <class T>
struct VecOf<T, 1> {
  using type = T;
};
template <class T>
struct BitsOf;
template <>
struct BitsOf<float> {
  using type = uint32_t;
};
template <>
struct BitsOf<double> {
  using type = uint64_t;
};

template <class V, class T>
inline V splat(T v) {
  if constexpr (sizeof(V) == sizeof(T)) {
    return v;
  } else {
    return V{} + v;
  }
}

template <class V, class T>
inline V load(const T* p) {
  V v;
  __builtin_memcpy(&v, p, sizeof(V));
  return v;
}

template <class V, class T>
inline void store(T* p, V v) {
  __builtin_memcpy(p, &v, sizeof(V));
}

/// |v| by clearing the sign bit (+0 for -0, as cell_value's sp_abs).
template <class T, class V>
inline V vabs(V v) {
  using U = typename BitsOf<T>::type;
  constexpr int W = static_cast<int>(sizeof(V) / sizeof(T));
  if constexpr (W == 1) {
    U u;
    __builtin_memcpy(&u, &v, sizeof(U));
    u &= ~(U{1} << (8 * sizeof(U) - 1));
    T r;
    __builtin_memcpy(&r, &u, sizeof(U));
    return r;
  } else {
    typedef U UV __attribute__((vector_size(sizeof(V))));
    UV u;
    __builtin_memcpy(&u, &v, sizeof(V));
    u &= ~(U{1} << (8 * sizeof(U) - 1));
    V r;
    __builtin_memcpy(&r, &u, sizeof(V));
    return r;
  }
}

/// acc < b ? b : acc, lane-wise.
template <class T, class V>
inline V vmax(V acc, V b) {
  if constexpr (sizeof(V) == sizeof(T)) {
    return acc < b ? b : acc;
  } else {
    return acc < b ? b : acc;
  }
}

/// Bit l = (a[l] < b[l]).
template <class T, class V>
inline uint64_t lt_mask(V a, V b) {
  constexpr int W = static_cast<int>(sizeof(V) / sizeof(T));
  if constexpr (W == 1) {
    return a < b ? 1u : 0u;
#if defined(__AVX512F__)
  } else if constexpr (sizeof(V) == 64 && sizeof(T) == 4) {
    return _mm512_cmp_ps_mask((__m512)a, (__m512)b, _CMP_LT_OQ);
  } else if constexpr (sizeof(V) == 64 && sizeof(T) == 8) {
    return _mm512_cmp_pd_mask((__m512d)a, (__m512d)b, _CMP_LT_OQ);
#endif
#if defined(__AVX__)
  } else if constexpr (sizeof(V) == 32 && sizeof(T) == 4) {
    return static_cast<uint32_t>(
        _mm256_movemask_ps(_mm256_cmp_ps((__m256)a, (__m256)b, _CMP_LT_OQ)));
  } else if constexpr (sizeof(V) == 32 && sizeof(T) == 8) {
    return static_cast<uint32_t>(
        _mm256_movemask_pd(_mm256_cmp_pd((__m256d)a, (__m256d)b, _CMP_LT_OQ)));
#endif
  } else {
    uint64_t m = 0;
    for (int l = 0; l < W; ++l)
      if (a[l] < b[l]) m |= uint64_t{1} << l;
    return m;
  }
}

/// The values of cells (i, j0 .. j0 + 63) into acc[0 .. 64/W).
template <class T, int W, int Norm>
inline void row_values(const T* x, int64_t xs, const T* y, int64_t ys, int dims, int64_t i,
                       int64_t j0, typename VecOf<T, W>::type* acc) {
  using V = typename VecOf<T, W>::type;
  constexpr int NV = 64 / W;
  for (int v = 0; v < NV; ++v) acc[v] = splat<V>(T(0));
  for (int d = 0; d < dims; ++d) {
    const V xi = splat<V>(x[d * xs + i]);
    const T* yp = y + d * ys + j0;
    for (int v = 0; v < NV; ++v) {
      const V diff = xi - load<V>(yp + v * W);
      if constexpr (Norm == 0) {
        acc[v] = acc[v] + diff * diff;
      } else if constexpr (Norm == 1) {
        acc[v] = vmax<T>(acc[v], vabs<T>(diff));
      } else {
        acc[v] = acc[v] + vabs<T>(diff);
      }
    }
  }
}

template <class T, int W, int Norm>
inline uint64_t row_bits(const T* x, int64_t xs, const T* y, int64_t ys, int dims, int64_t i,
                         int64_t j0, T limit) {
  using V = typename VecOf<T, W>::type;
  constexpr int NV = 64 / W;
  V acc[NV];
  row_values<T, W, Norm>(x, xs, y, ys, dims, i, j0, acc);
  const V lim = splat<V>(limit);
  uint64_t bits = 0;
  for (int v = 0; v < NV; ++v) bits |= lt_mask<T>(acc[v], lim) << (v * W);
  return bits;
}

template <class T, int W, int Norm>
void tile_bits_norm(const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, uint64_t* R) {
  for (int t = 0; t < 64; ++t) {
    if (t >= rows) {
      R[t] = 0;
      continue;
    }
    uint64_t bits = row_bits<T, W, Norm>(jb.x, jb.xs, jb.y, jb.ys, jb.dims, i0 + t, j0, jb.limit);
    if (jb.joint && bits)
      bits &= row_bits<T, W, Norm>(jb.x2, jb.x2s, jb.y2, jb.y2s, jb.dims2, i0 + t, j0, jb.limit2);
    R[t] = bits;
  }
}

template <class T, int W>
void tile_bits_impl(const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, uint64_t* R) {
  if (jb.norm == 0)
    tile_bits_norm<T, W, 0>(jb, i0, j0, rows, R);
  else if (jb.norm == 1)
    tile_bits_norm<T, W, 1>(jb, i0, j0, rows, R);
  else
    tile_bits_norm<T, W, 2>(jb, i0, j0, rows, R);
}

typedef uint64_t Words8 __attribute__((vector_size(64)));

/// In-place transpose of a 64 x 64 bit matrix held as 8 vectors of 8 words: the classic block
/// swap (bit blocks of width j between words j apart), words 8 apart as whole vectors, closer
/// ones through a lane shuffle.
inline void transpose_words(Words8* r) {
  const Words8 m32 = Words8{} + 0x00000000FFFFFFFFull;
  for (int q = 0; q < 4; ++q) {
    const Words8 t = ((r[q] >> 32) ^ r[q + 4]) & m32;
    r[q] ^= t << 32;
    r[q + 4] ^= t;
  }
  const Words8 m16 = Words8{} + 0x0000FFFF0000FFFFull;
  const int pairs16[4] = {0, 1, 4, 5};
  for (int q : pairs16) {
    const Words8 t = ((r[q] >> 16) ^ r[q + 2]) & m16;
    r[q] ^= t << 16;
    r[q + 2] ^= t;
  }
  const Words8 m8 = Words8{} + 0x00FF00FF00FF00FFull;
  for (int q = 0; q < 8; q += 2) {
    const Words8 t = ((r[q] >> 8) ^ r[q + 1]) & m8;
    r[q] ^= t << 8;
    r[q + 1] ^= t;
  }
  auto inner = [r](int j, uint64_t mask, const Words8& partner, const Words8& low) {
    const Words8 m = Words8{} + mask;
    for (int q = 0; q < 8; ++q) {
#if defined(__clang__)  // no __builtin_shuffle (a GCC builtin): the same permutation by lanes
      Words8 b;
      for (int k = 0; k < 8; ++k) b[k] = r[q][partner[k]];
#else
      const Words8 b = __builtin_shuffle(r[q], partner);
#endif
      const Words8 tl = ((r[q] >> j) ^ b) & m;  // low lane of a pair
      const Words8 th = ((b >> j) ^ r[q]) & m;  // high lane: its partner's t
      r[q] ^= (low & (tl << j)) | (~low & th);
    }
  };
  const uint64_t F = ~0ull;
  inner(4, 0x0F0F0F0F0F0F0F0Full, Words8{4, 5, 6, 7, 0, 1, 2, 3}, Words8{F, F, F, F, 0, 0, 0, 0});
  inner(2, 0x3333333333333333ull, Words8{2, 3, 0, 1, 6, 7, 4, 5}, Words8{F, F, 0, 0, F, F, 0, 0});
  inner(1, 0x5555555555555555ull, Words8{1, 0, 3, 2, 5, 4, 7, 6}, Words8{F, 0, F, 0, F, 0, F, 0});
}

template <class T, int W>
void tile_views_impl(const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, int cols,
                     bool lower_clear, TileViews& v) {
  tile_bits_impl<T, W>(jb, i0, j0, rows, v.R);
  const uint64_t colmask = cols >= 64 ? ~0ull : (1ull << cols) - 1;
  for (int t = 0; t < 64; ++t) {
    uint64_t x = v.R[t] & colmask;
    if (lower_clear) x &= ~((1ull << t) - 1);
    v.R[t] = x;
  }
  Words8 c[8], d[8];
  __builtin_memcpy(c, v.R, sizeof c);
  for (int q = 0; q < 8; ++q) {
    const Words8 s = Words8{0, 1, 2, 3, 4, 5, 6, 7} + static_cast<uint64_t>(8 * q);
    d[q] = (c[q] >> s) | (c[q] << ((64 - s) & 63));  // rotate right by the row index
  }
  transpose_words(c);
  transpose_words(d);
  __builtin_memcpy(v.C, c, sizeof c);
  __builtin_memcpy(v.D, d, sizeof d);
}

template <class T, int W, int Norm>
T tile_max_norm(const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, int cols) {
  using V = typename VecOf<T, W>::type;
  constexpr int NV = 64 / W;
  V acc[NV];
  T best = T(0);
  if (cols == 64) {
    V m = splat<V>(T(0));
    for (int t = 0; t < rows; ++t) {
      row_values<T, W, Norm>(jb.x, jb.xs, jb.y, jb.ys, jb.dims, i0 + t, j0, acc);
      for (int v = 0; v < NV; ++v) m = vmax<T>(m, acc[v]);
    }
    T lanes[W];
    store(lanes, m);
    for (int l = 0; l < W; ++l) best = best < lanes[l] ? lanes[l] : best;
    return best;
  }
  T vals[64];
  for (int t = 0; t < rows; ++t) {
    row_values<T, W, Norm>(jb.x, jb.xs, jb.y, jb.ys, jb.dims, i0 + t, j0, acc);
    for (int v = 0; v < NV; ++v) store(vals + v * W, acc[v]);
    for (int u = 0; u < cols; ++u) best = best < vals[u] ? vals[u] : best;
  }
  return best;
}

template <class T, int W>
T tile_max_impl(const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, int cols) {
  if (jb.norm == 0) return tile_max_norm<T, W, 0>(jb, i0, j0, rows, cols);
  if (jb.norm == 1) return tile_max_norm<T, W, 1>(jb, i0, j0, rows, cols);
  return tile_max_norm<T, W, 2>(jb, i0, j0, rows, cols);
}

template <class T, int W, int Norm>
void tile_count_norm(const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, const uint64_t* mask,
                     CountJob<T>& cj) {
  using V = typename VecOf<T, W>::type;
  using U = typename BitsOf<T>::type;
  constexpr int NV = 64 / W;
  V acc[NV];
  T vals[64];
  const V lo = splat<V>(cj.lo), hi = splat<V>(cj.hi);
  U lo_bits;
  __builtin_memcpy(&lo_bits, &cj.lo, sizeof(U));
  int64_t below = 0;
  int64_t* const hist = cj.hist;
  const int shift = cj.shift;
  const int64_t weight = cj.weight;
  for (int t = 0; t < rows; ++t) {
    if (!mask[t]) continue;
    row_values<T, W, Norm>(jb.x, jb.xs, jb.y, jb.ys, jb.dims, i0 + t, j0, acc);
    uint64_t lt = 0, above = 0;
    for (int v = 0; v < NV; ++v) {
      lt |= lt_mask<T>(acc[v], lo) << (v * W);
      above |= lt_mask<T>(hi, acc[v]) << (v * W);
    }
    below += __builtin_popcountll(lt & mask[t]);
    uint64_t in = ~lt & ~above & mask[t];
    if (!in) continue;
    // The in-range values, packed.
    int nin = 0;
#if defined(__AVX512F__)
    if constexpr (W == 16 || W == 8) {
      for (int v = 0; v < NV; ++v) {
        const uint64_t m = (in >> (v * W)) & ((uint64_t{1} << W) - 1);
        if (!m) continue;
        if constexpr (W == 16)
          _mm512_mask_compressstoreu_ps(vals + nin, static_cast<__mmask16>(m), (__m512)acc[v]);
        else
          _mm512_mask_compressstoreu_pd(vals + nin, static_cast<__mmask8>(m), (__m512d)acc[v]);
        nin += __builtin_popcountll(m);
      }
    } else
#endif
    {
      T all[64];
      for (int v = 0; v < NV; ++v) store(all + v * W, acc[v]);
      while (in) {
        vals[nin++] = all[__builtin_ctzll(in)];
        in &= in - 1;
      }
    }
    for (int k = 0; k < nin; ++k) {
      if (cj.out) {
        for (int64_t c = 0; c < cj.weight; ++c, ++cj.out_size)
          if (cj.out_size < cj.out_capacity) cj.out[cj.out_size] = vals[k];
        continue;
      }
      U b;
      __builtin_memcpy(&b, &vals[k], sizeof(U));
      hist[(b - lo_bits) >> shift] += weight;
    }
  }
  cj.below += below * cj.weight;
}

template <class T, int W>
void tile_count_impl(const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, const uint64_t* mask,
                     CountJob<T>& cj) {
  if (jb.norm == 0)
    tile_count_norm<T, W, 0>(jb, i0, j0, rows, mask, cj);
  else if (jb.norm == 1)
    tile_count_norm<T, W, 1>(jb, i0, j0, rows, mask, cj);
  else
    tile_count_norm<T, W, 2>(jb, i0, j0, rows, mask, cj);
}

}  // namespace
}  // namespace swingpipe::rqa::cpu
#endif
