// The triangular solves of the induced accelerations' per-frame solve (induced_accel.hpp:
// solve_frame), included by one translation unit per instruction set (iaa_solve_avx2.cpp and
// the generic induced_accel_cpu.cpp), each compiled with its own flags
// and inside its own namespace SP_IAA_ISA (so no inline function is shared between them); the
// caller picks one at run time. No include guard: each translation unit includes it once.
//
// Both triangular solves run for all right-hand sides at once: the right-hand sides are
// transposed into rows of 16 (four vector registers of doubles on AVX2), so each
// step of the substitution is a vector multiply-subtract across 16 contributors while the row
// being solved stays in registers (two partial sums, so the dependency chains overlap).
// No standard-library templates are used here: an out-of-line instantiation compiled with
// AVX-512 flags could be merged by the linker into code that runs on CPUs without it.

#ifndef SP_IAA_ISA
#error "define SP_IAA_ISA (the namespace of this instruction set) before including iaa_solve.hpp"
#endif

namespace swingpipe::iaa::detail::SP_IAA_ISA {

constexpr int kLanes = 16;

/// row = (row - sum over m in [lo, hi) of coef(m) * T[m]) * scale, with two partial sums so
/// that the multiply-subtract chains do not wait on each other.
template <class Coef>
inline void eliminate(double* row, const double* T, int lo, int hi, Coef coef, double scale) {
  double a[kLanes], b[kLanes];
  for (int c = 0; c < kLanes; ++c) {
    a[c] = row[c];
    b[c] = 0;
  }
  int m = lo;
  for (; m + 1 < hi; m += 2) {
    const double l0 = coef(m), l1 = coef(m + 1);
    const double* t0 = T + m * kLanes;
    const double* t1 = t0 + kLanes;
    for (int c = 0; c < kLanes; ++c) {
      a[c] -= l0 * t0[c];
      b[c] -= l1 * t1[c];
    }
  }
  if (m < hi) {
    const double l0 = coef(m);
    const double* t0 = T + m * kLanes;
    for (int c = 0; c < kLanes; ++c) a[c] -= l0 * t0[c];
  }
  for (int c = 0; c < kLanes; ++c) row[c] = (a[c] + b[c]) * scale;
}

/// L (row-major lower triangle of `M` after the factorization, nv x nv) solves the k right-hand
/// sides of X (k rows of nv) in place. T: scratch of nv * kLanes doubles.
void substitute(int nv, int k, const double* L, double* X, double* T) {
  for (int c0 = 0; c0 < k; c0 += kLanes) {
    const int w = k - c0 < kLanes ? k - c0 : kLanes;
    for (int i = 0; i < nv; ++i)
      for (int c = 0; c < kLanes; ++c) T[i * kLanes + c] = c < w ? X[(c0 + c) * nv + i] : 0.0;
    for (int i = 0; i < nv; ++i) {  // L y = b
      const double* Li = L + i * nv;
      eliminate(
          T + i * kLanes, T, 0, i, [Li](int m) { return Li[m]; }, 1.0 / Li[i]);
    }
    for (int i = nv - 1; i >= 0; --i)  // L^T x = y
      eliminate(
          T + i * kLanes, T, i + 1, nv, [L, nv, i](int m) { return L[m * nv + i]; },
          1.0 / L[i * nv + i]);
    for (int c = 0; c < w; ++c)
      for (int i = 0; i < nv; ++i) X[(c0 + c) * nv + i] = T[i * kLanes + c];
  }
}

}  // namespace swingpipe::iaa::detail::SP_IAA_ISA
