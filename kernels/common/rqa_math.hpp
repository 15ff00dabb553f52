#pragma once
// Per-cell RQA math shared by the CPU backend, the CUDA kernels and the dense reference
// (design.md §3.1): the distance "value" a cell is compared with, and the bit-run extractor that
// turns 64 cells of one line direction into line lengths with a carry across word edges.
//
// Values are computed in T in coordinate order with separately rounded operations (no fused
// multiply-add: on the device through __fmul_rn & co., on the host by compiling every RQA source
// with -ffp-contract=off), so the CPU tiles, the CUDA kernels and the reference agree bit for bit.
// The Euclidean value is the sum of squares (the distance is its sqrt); max and Manhattan values
// are the distance itself. All values are >= +0 (never -0 or NaN for finite inputs), so their bit
// patterns order like the values (used by the exact quantile search).
#include <cstdint>

#include "common/hd.hpp"

namespace swingpipe::rqa::detail {

enum class NormCode : int { euclidean = 0, maximum = 1, manhattan = 2 };

SP_HD float sp_sub(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
SP_HD double sp_sub(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}
SP_HD float sp_mul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
SP_HD double sp_mul(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
SP_HD float sp_add(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
SP_HD double sp_add(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
template <class T>
SP_HD T sp_abs(T v) {
  return v < T(0) ? -v : v + T(0);  // +0 for -0, as fabs
}

/// A trajectory as the kernels see it: coordinate d of point i at base[d * stride + i].
template <class T>
struct Cloud {
  const T* base = nullptr;
  int64_t stride = 0;
  int64_t count = 0;
  int dims = 0;
};

/// The value cell (i, j) is compared with (sum of squares, max |diff| or sum |diff|).
template <class T>
SP_HD T cell_value(NormCode norm, const T* a, int64_t as, int64_t i, const T* b, int64_t bs,
                   int64_t j, int dims) {
  T acc = T(0);
  for (int d = 0; d < dims; ++d) {
    const T diff = sp_sub(a[d * as + i], b[d * bs + j]);
    if (norm == NormCode::euclidean) {
      acc = sp_add(acc, sp_mul(diff, diff));
    } else {
      const T ad = sp_abs(diff);
      if (norm == NormCode::maximum)
        acc = acc < ad ? ad : acc;
      else
        acc = sp_add(acc, ad);
    }
  }
  return acc;
}

SP_HD int ctz64(uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __ffsll(static_cast<long long>(x)) - 1;
#else
  return __builtin_ctzll(x);
#endif
}
SP_HD uint64_t low_bits(int n) {  // n in [0, 64]
  return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
}
/// Bits [lo, hi) of a word, lo and hi clipped to [0, 64].
SP_HD uint64_t bit_range(int64_t lo, int64_t hi) {
  lo = lo < 0 ? 0 : lo;
  hi = hi > 64 ? 64 : hi;
  if (hi <= lo) return 0;
  return low_bits(static_cast<int>(hi)) & ~low_bits(static_cast<int>(lo));
}

/// Line lengths of the runs of set bits of `x` (bits above `top` must be clear). `carry` is the
/// length of a run that ended just before bit 0 and continues if bit 0 is set. Every run that ends
/// inside the word is passed to emit(length); the run touching bit `top` is returned instead when
/// `keep` (it goes on in the next word), else emitted too. Returns the carry for the next word.
template <class Emit>
SP_HD uint32_t emit_runs(uint64_t x, int top, uint32_t carry, bool keep, Emit&& emit) {
  if (x & 1) {
    if (x == ~uint64_t{0}) {  // top == 63
      carry += 64;
      if (keep) return carry;
      emit(carry);
      return 0;
    }
    const int len = ctz64(~x);
    carry += static_cast<uint32_t>(len);
    if (len - 1 == top) {
      if (keep) return carry;
      emit(carry);
      return 0;
    }
    emit(carry);
    x &= ~low_bits(len);
  } else if (carry > 0) {
    emit(carry);
  }
  while (x) {
    const int s = ctz64(x);
    const uint64_t y = x >> s;
    const int len = (~y == 0) ? 64 - s : ctz64(~y);
    if (s + len - 1 == top) {
      if (keep) return static_cast<uint32_t>(len);
      emit(static_cast<uint32_t>(len));
      return 0;
    }
    emit(static_cast<uint32_t>(len));
    x &= ~(low_bits(len) << s);
  }
  return 0;
}

// ---- walkers: one column / one diagonal of the matrix, as a CUDA thread runs them ------------
// (the CPU backend uses tiles instead; tests run these on the host against the reference, so the
// CUDA kernels' logic is checked on machines without a GPU).

/// Everything a walker needs: rows x (n_x points), columns y (n_y points), the value limit
/// (recurrent iff value < limit), an optional second group (joint), the excluded bands.
template <class T>
struct WalkProblem {
  Cloud<T> x, y;
  NormCode norm = NormCode::euclidean;
  T limit = T(0);
  bool joint = false;
  Cloud<T> x2, y2;
  T limit2 = T(0);
  int64_t w_diag = 0;  ///< diagonals with |j - i| < w_diag hold no lines
  int64_t w_vert = 0;  ///< cells with |j - i| < w_vert are outside vertical and white lines
};

template <class T>
SP_HD bool recurrent(const WalkProblem<T>& p, int64_t i, int64_t j) {
  if (!(cell_value(p.norm, p.x.base, p.x.stride, i, p.y.base, p.y.stride, j, p.x.dims) < p.limit))
    return false;
  return !p.joint || cell_value(p.norm, p.x2.base, p.x2.stride, i, p.y2.base, p.y2.stride, j,
                                p.x2.dims) < p.limit2;
}

/// Bits of rows [i0, i0 + 64) of column j that lie in the matrix and outside the band.
SP_HD uint64_t column_valid(int64_t nx, int64_t w, int64_t i0, int64_t j) {
  uint64_t v = bit_range(0, nx - i0);
  if (w > 0) v &= ~bit_range(j - w + 1 - i0, j + w - i0);
  return v;
}

/// Vertical and white vertical lines of column j over all rows: vertical(len), white(len).
template <class T, class EmitV, class EmitW>
SP_HD void walk_column(const WalkProblem<T>& p, int64_t j, EmitV&& vertical, EmitW&& white) {
  const int64_t nx = p.x.count;
  uint32_t cb = 0, cw = 0;
  for (int64_t i0 = 0; i0 < nx; i0 += 64) {
    const uint64_t valid = column_valid(nx, p.w_vert, i0, j);
    uint64_t bits = 0;
    for (int t = 0; t < 64; ++t)
      if ((valid >> t) & 1)
        if (recurrent(p, i0 + t, j)) bits |= uint64_t{1} << t;
    const bool keep = ((column_valid(nx, p.w_vert, i0 + 64, j) & 1) != 0) && ((valid >> 63) & 1);
    cb = emit_runs(bits, 63, cb, keep, vertical);
    cw = emit_runs(~bits & valid, 63, cw, keep, white);
  }
  if (cb) vertical(cb);
  if (cw) white(cw);
}

/// Diagonal lines of diagonal d (cells (i, i + d)) of an n_x x n_y matrix: diagonal(len).
template <class T, class EmitD>
SP_HD void walk_diagonal(const WalkProblem<T>& p, int64_t d, EmitD&& diagonal) {
  const int64_t nx = p.x.count, ny = p.y.count;
  const int64_t first = d >= 0 ? 0 : -d;             // first row on the diagonal
  const int64_t last = (ny - d < nx ? ny - d : nx);  // one past the last row
  uint32_t c = 0;
  for (int64_t i0 = first; i0 < last; i0 += 64) {
    const int n = last - i0 < 64 ? static_cast<int>(last - i0) : 64;
    uint64_t bits = 0;
    for (int t = 0; t < n; ++t)
      if (recurrent(p, i0 + t, i0 + t + d)) bits |= uint64_t{1} << t;
    c = emit_runs(bits, 63, c, n == 64 && i0 + 64 < last, diagonal);
  }
  if (c) diagonal(c);
}

}  // namespace swingpipe::rqa::detail
