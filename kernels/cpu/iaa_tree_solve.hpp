// The induced accelerations' tree-sparse solve (induced_accel.hpp: TreeSolver), included by one
// translation unit per instruction set (iaa_tree_solve_generic.cpp, _avx2.cpp, _avx512.cpp), each
// compiled with its own flags and inside its own namespace SP_IAA_ISA (so no inline function is
// shared between them); TreeSolver picks one at run time. No include guard: each translation unit
// includes it once.
//
// The right-hand sides are lanes: T holds nv rows of `stride` doubles (a multiple of kBlock), row i
// being dof i of every right-hand side. Each step of the substitution is then one vector
// multiply-subtract across 8 right-hand sides per block (one 512-bit register with AVX-512, two
// 256-bit ones with AVX2, four 128-bit ones otherwise: GCC lowers the 8-double vector type to what
// the flags allow), while the row being solved stays in registers. Only the dof tree's non-zeros
// are touched: a row's ancestors, O(sum of depths) per right-hand side instead of O(nv^2).
// No standard-library templates are used here: an out-of-line instantiation compiled with
// AVX-512 flags could be merged by the linker into code that runs on CPUs without it.

#ifndef SP_IAA_ISA
#error \
    "define SP_IAA_ISA (the namespace of this instruction set) before including iaa_tree_solve.hpp"
#endif

#include <cstdint>

namespace swingpipe::iaa::detail::SP_IAA_ISA {

typedef double Vec8 __attribute__((vector_size(64), aligned(64), may_alias));

/// NB blocks of 8 lanes starting at T (row stride `stride`), solved with the factor LD (row
/// layout of TreeSolver: row k at adr[k]: 1/D[k], then L[k][ancestor] nearest first).
template <int NB>
inline void solve_blocks(int nv, const int32_t* adr, const int32_t* col, const double* LD,
                         double* T, int stride) {
  // L^T w = b, rows from the leaves up: row k, once final, leaves its ancestors' rows.
  for (int k = nv - 1; k >= 0; --k) {
    const int end = adr[k + 1];
    int p = adr[k] + 1;
    if (p == end) continue;
    const Vec8* tk = reinterpret_cast<const Vec8*>(T + static_cast<int64_t>(k) * stride);
    Vec8 x[NB];
    for (int b = 0; b < NB; ++b) x[b] = tk[b];
    for (; p < end; ++p) {
      const double l = LD[p];
      Vec8* ti = reinterpret_cast<Vec8*>(T + static_cast<int64_t>(col[p]) * stride);
      for (int b = 0; b < NB; ++b) ti[b] -= l * x[b];
    }
  }
  // x = D^-1 w - L x, rows from the roots down (ancestors are final first); two partial sums so
  // the multiply-subtract chains overlap.
  for (int k = 0; k < nv; ++k) {
    Vec8* tk = reinterpret_cast<Vec8*>(T + static_cast<int64_t>(k) * stride);
    const int end = adr[k + 1];
    const double dinv = LD[adr[k]];
    Vec8 a[NB], c[NB];
    for (int b = 0; b < NB; ++b) {
      a[b] = tk[b] * dinv;
      c[b] = Vec8{};
    }
    int p = adr[k] + 1;
    for (; p + 1 < end; p += 2) {
      const double l0 = LD[p], l1 = LD[p + 1];
      const Vec8* t0 = reinterpret_cast<const Vec8*>(T + static_cast<int64_t>(col[p]) * stride);
      const Vec8* t1 = reinterpret_cast<const Vec8*>(T + static_cast<int64_t>(col[p + 1]) * stride);
      for (int b = 0; b < NB; ++b) {
        a[b] -= l0 * t0[b];
        c[b] -= l1 * t1[b];
      }
    }
    if (p < end) {
      const double l0 = LD[p];
      const Vec8* t0 = reinterpret_cast<const Vec8*>(T + static_cast<int64_t>(col[p]) * stride);
      for (int b = 0; b < NB; ++b) a[b] -= l0 * t0[b];
    }
    for (int b = 0; b < NB; ++b) tk[b] = a[b] + c[b];
  }
}

/// y[0, n) -= a * x[0, n) (no overlap).
inline void subtract_scaled(double* __restrict y, const double* __restrict x, double a, int n) {
  for (int q = 0; q < n; ++q) y[q] -= a * x[q];
}

/// TreeSolver::factor: M (row layout above) into 1/D and L in place; false when a pivot is not
/// positive and finite. Rows from the leaves up: row k is final once its descendants (all > k)
/// have been folded in; it then folds itself into its ancestors' rows. Row k's entries from the
/// one of ancestor i on are M[k][i], M[k][parent(i)], ...: the same columns as row i, in order.
bool tree_factor(int nv, const int32_t* adr, const int32_t* col, double* M) {
  for (int k = nv - 1; k >= 0; --k) {
    const double D = M[adr[k]];
    if (!(D > 0) || !(D < __builtin_inf())) return false;
    const double inv = 1.0 / D;
    const int32_t end = adr[k + 1];
    for (int32_t p = adr[k] + 1; p < end; ++p) {
      const double a = M[p] * inv;
      subtract_scaled(M + adr[col[p]], M + p, a, end - p);
      M[p] = a;
    }
    M[adr[k]] = inv;
  }
  return true;
}

/// Solves all `stride` lanes of T (stride a multiple of 8; T 64-byte aligned) in place.
void tree_solve_lanes(int nv, const int32_t* adr, const int32_t* col, const double* LD, int stride,
                      double* T) {
  int blocks = stride / 8;
  double* t = T;
  for (; blocks >= 4; blocks -= 4, t += 32) solve_blocks<4>(nv, adr, col, LD, t, stride);
  switch (blocks) {
    case 3:
      solve_blocks<3>(nv, adr, col, LD, t, stride);
      break;
    case 2:
      solve_blocks<2>(nv, adr, col, LD, t, stride);
      break;
    case 1:
      solve_blocks<1>(nv, adr, col, LD, t, stride);
      break;
    default:
      break;
  }
}

/// acc (3 rows of `stride`, 64-byte aligned) = J T for J (3 x nv, row-major): every lane's
/// linear acceleration of a point.
void tree_project_lanes(int nv, int stride, const double* T, const double* J, double* acc) {
  const int blocks = stride / 8;
  Vec8* a = reinterpret_cast<Vec8*>(acc);
  for (int b = 0; b < 3 * blocks; ++b) a[b] = Vec8{};
  for (int i = 0; i < nv; ++i) {
    const double j0 = J[i], j1 = J[nv + i], j2 = J[2 * nv + i];
    const Vec8* ti = reinterpret_cast<const Vec8*>(T + static_cast<int64_t>(i) * stride);
    for (int b = 0; b < blocks; ++b) {
      a[b] += j0 * ti[b];
      a[blocks + b] += j1 * ti[b];
      a[2 * blocks + b] += j2 * ti[b];
    }
  }
}

}  // namespace swingpipe::iaa::detail::SP_IAA_ISA
