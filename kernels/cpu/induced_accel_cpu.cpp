// Induced accelerations on the CPU (induced_accel.hpp): contributor forces, the tree-sparse
// L^T D L solver with all right-hand sides as vector lanes (TreeSolver, used by both CPU paths),
// the dense Cholesky solve for general matrices (Eigen), closure, and the tree path (the default
// CPU path and the CUDA path's reference).
#include <omp.h>
#include <sys/mman.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>

#include "common/rigid_tree_math.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe::iaa::detail {
namespace avx2 {
void substitute(int nv, int k, const double* L, double* X, double* T);
}
#define SP_IAA_TREE_ISA(ns)                                                                   \
  namespace ns {                                                                              \
  void tree_solve_lanes(int nv, const int32_t* adr, const int32_t* col, const double* LD,     \
                        int stride, double* T);                                               \
  void tree_project_lanes(int nv, int stride, const double* T, const double* J, double* acc); \
  bool tree_factor(int nv, const int32_t* adr, const int32_t* col, double* M);                \
  }
SP_IAA_TREE_ISA(tree_generic)
SP_IAA_TREE_ISA(tree_avx2)
SP_IAA_TREE_ISA(tree_avx512)
#undef SP_IAA_TREE_ISA
}  // namespace swingpipe::iaa::detail

#define SP_IAA_ISA generic
#include "cpu/iaa_solve.hpp"
#undef SP_IAA_ISA

namespace swingpipe::iaa {
namespace {

void check_span(std::span<const double> s, int64_t frames, int64_t width, const char* name) {
  if (static_cast<int64_t>(s.size()) != frames * width)
    throw InputError(std::string("induced accelerations: ") + name + " has " +
                     std::to_string(s.size()) + " values, " + std::to_string(frames) +
                     " frames need " + std::to_string(frames * width));
}

// M is symmetric, so its row-major storage is also its column-major storage. Eigen's in-place
// LLT leaves L in the lower triangle of that column-major view, i.e. the upper triangle in
// row-major order; the substitution reads the row-major lower triangle, so L is copied there.
template <int N>
bool factor(int nv, double* M) {
  if constexpr (N > 0) {
    Eigen::Map<Eigen::Matrix<double, N, N>> A(M);
    Eigen::LLT<Eigen::Ref<Eigen::Matrix<double, N, N>>> llt(A);  // factorizes in place
    if (llt.info() != Eigen::Success) return false;
  } else {
    Eigen::Map<Eigen::MatrixXd> A(M, nv, nv);
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(A);
    if (llt.info() != Eigen::Success) return false;
  }
  for (int i = 0; i < nv; ++i)
    for (int j = 0; j < i; ++j) M[i * nv + j] = M[j * nv + i];
  return true;
}

using Substitute = void (*)(int, int, const double*, double*, double*);

/// The widest substitution this CPU runs. There is no AVX-512 variant: the same code with
/// 512-bit vectors measured 2.5x slower than AVX2 (GCC 12, nv 27 x 27 right-hand sides: 11.3 vs
/// 4.6 us per frame on the Xeon of bench/RESULTS.md).
Substitute best_substitute() {
  if (dtw::cpu_supports(dtw::Simd::avx2)) return detail::avx2::substitute;
  return detail::generic::substitute;
}

/// Contributor forces with gravity `G` (nv values of frame f).
void forces_with(const FrameBatch& b, int64_t f, bool per_actuator, const double* G,
                 std::span<double> F) {
  const int nv = b.nv;
  const auto row = [&](std::span<const double> s) { return s.data() + f * nv; };
  const double* bias = row(b.bias);
  const double* rows[4] = {row(b.passive), row(b.constraint), row(b.applied), row(b.actuator)};
  for (int i = 0; i < nv; ++i) {
    F[static_cast<std::size_t>(i)] = -G[i];
    F[static_cast<std::size_t>(nv + i)] = -(bias[i] - G[i]);
  }
  for (int r = 0; r < 4; ++r) std::copy(rows[r], rows[r] + nv, F.begin() + (2 + r) * nv);
  if (!per_actuator) return;
  double* act = F.data() + kBaseContributors * nv;
  if (!b.actuator_moment.empty()) {
    const double* moment = b.actuator_moment.data() + f * b.nu * nv;
    const double* force = b.actuator_force.data() + f * b.nu;
    for (int64_t e = 0; e < int64_t{b.nu} * nv; ++e) act[e] = moment[e] * force[e / nv];
    return;
  }
  std::fill(act, act + int64_t{b.nu} * nv, 0.0);
  const std::size_t pairs = b.moment_pairs.size();
  for (std::size_t p = 0; p < pairs; ++p) {
    const auto [a, dof] = b.moment_pairs[p];
    act[int64_t{a} * nv + dof] += b.moment_values[static_cast<std::size_t>(f) * pairs + p] *
                                  b.actuator_force[static_cast<std::size_t>(f * b.nu + a)];
  }
}

int threads_for(int requested, int64_t frames) {
  const int t = requested > 0 ? requested : omp_get_max_threads();
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(t, (frames + 63) / 64)));
}

}  // namespace

void FrameBatch::validate(bool per_actuator) const {
  if (frames < 0) throw InputError("induced accelerations: frames must be >= 0");
  if (nv < 1 || nq < nv || nu < 0)
    throw InputError("induced accelerations: bad sizes nq " + std::to_string(nq) + ", nv " +
                     std::to_string(nv) + ", nu " + std::to_string(nu));
  check_span(qpos, frames, nq, "qpos");
  check_span(qacc, frames, nv, "qacc");
  check_span(bias, frames, nv, "bias");
  check_span(passive, frames, nv, "passive");
  check_span(constraint, frames, nv, "constraint");
  check_span(applied, frames, nv, "applied");
  check_span(actuator, frames, nv, "actuator");
  if (!qvel.empty()) check_span(qvel, frames, nv, "qvel");
  if (!gravity.empty()) check_span(gravity, frames, nv, "gravity");
  if (!per_actuator) return;
  check_span(actuator_force, frames, nu, "actuator_force");
  if (!actuator_moment.empty()) {
    check_span(actuator_moment, frames, int64_t{nu} * nv, "actuator_moment");
    return;
  }
  check_span(moment_values, frames, static_cast<int64_t>(moment_pairs.size()), "moment_values");
  for (const auto& [a, d] : moment_pairs)
    if (a < 0 || a >= nu || d < 0 || d >= nv)
      throw InputError("induced accelerations: moment pair (" + std::to_string(a) + ", " +
                       std::to_string(d) + ") outside " + std::to_string(nu) + " actuators x " +
                       std::to_string(nv) + " dofs");
}

double Result::max_closure() const {
  double m = 0;
  for (double c : closure) m = std::isnan(c) ? c : std::max(m, c);
  return m;
}

void frame_forces(const FrameBatch& b, int64_t f, bool per_actuator, std::span<double> F) {
  forces_with(b, f, per_actuator, b.gravity.data() + f * b.nv, F);
}

namespace {

bool factor_any(int nv, double* M) {
  switch (nv) {
    case 16:
      return factor<16>(nv, M);
    case 27:
      return factor<27>(nv, M);
    case 40:
      return factor<40>(nv, M);
    default:
      return factor<0>(nv, M);
  }
}

bool solve_with(Substitute substitute, int nv, int k, double* M, double* X) {
  if (!factor_any(nv, M)) return false;
  thread_local std::vector<double> scratch;
  scratch.resize(static_cast<std::size_t>(nv) * detail::generic::kLanes);
  substitute(nv, k, M, X, scratch.data());
  return true;
}

}  // namespace

bool solve_frame(int nv, int k, double* M, double* X) {
  static const Substitute substitute = best_substitute();
  return solve_with(substitute, nv, k, M, X);
}

bool solve_frame(dtw::Simd isa, int nv, int k, double* M, double* X) {
  if (isa == dtw::Simd::best) return solve_frame(nv, k, M, X);
  if (isa == dtw::Simd::avx512)
    throw BackendError("induced accelerations: no AVX-512 variant (AVX2 measured faster)");
  if (!dtw::cpu_supports(isa))
    throw BackendError("induced accelerations: this CPU cannot run AVX2 + FMA");
  switch (isa) {
    case dtw::Simd::avx2:
      return solve_with(detail::avx2::substitute, nv, k, M, X);
    default:
      return solve_with(detail::generic::substitute, nv, k, M, X);
  }
}

TreeSolver::TreeSolver(std::span<const int32_t> dof_parent, dtw::Simd isa) {
  nv_ = static_cast<int>(dof_parent.size());
  row_start_.assign(static_cast<std::size_t>(nv_) + 1, 0);
  for (int i = 0; i < nv_; ++i) {
    const int32_t p = dof_parent[static_cast<std::size_t>(i)];
    if (p < -1 || p >= i)
      throw InputError("induced accelerations: dof " + std::to_string(i) + " has parent " +
                       std::to_string(p) + " (parents must come first, -1 at a root)");
    row_start_[static_cast<std::size_t>(i) + 1] = static_cast<int32_t>(columns_.size());
    for (int32_t j = i; j >= 0; j = dof_parent[static_cast<std::size_t>(j)]) columns_.push_back(j);
    row_start_[static_cast<std::size_t>(i) + 1] = static_cast<int32_t>(columns_.size());
  }
  if (isa == dtw::Simd::best) isa = dtw::cpu_best_simd();
  if (!dtw::cpu_supports(isa))
    throw BackendError(std::string("induced accelerations: this CPU cannot run ") +
                       std::string(dtw::to_string(isa)));
  isa_ = isa;
  switch (isa) {
    case dtw::Simd::avx512:
      solve_ = detail::tree_avx512::tree_solve_lanes;
      project_ = detail::tree_avx512::tree_project_lanes;
      factor_ = detail::tree_avx512::tree_factor;
      break;
    case dtw::Simd::avx2:
      solve_ = detail::tree_avx2::tree_solve_lanes;
      project_ = detail::tree_avx2::tree_project_lanes;
      factor_ = detail::tree_avx2::tree_factor;
      break;
    default:
      solve_ = detail::tree_generic::tree_solve_lanes;
      project_ = detail::tree_generic::tree_project_lanes;
      factor_ = detail::tree_generic::tree_factor;
      break;
  }
}

void TreeSolver::gather(const double* dense, double* M) const {
  for (int i = 0; i < nv_; ++i)
    for (int32_t p = row_start_[static_cast<std::size_t>(i)];
         p < row_start_[static_cast<std::size_t>(i) + 1]; ++p)
      M[p] = dense[int64_t{i} * nv_ + columns_[static_cast<std::size_t>(p)]];
}

bool TreeSolver::factor(double* M) const {
  return factor_(nv_, row_start_.data(), columns_.data(), M);
}

void TreeSolver::solve_lanes(const double* LD, int stride, double* T) const {
  solve_(nv_, row_start_.data(), columns_.data(), LD, stride, T);
}

void TreeSolver::project_lanes(int stride, const double* T, const double* J, double* acc) const {
  project_(nv_, stride, T, J, acc);
}

bool TreeSolver::solve(double* M, int k, double* X) const {
  if (!factor(M)) return false;
  thread_local LaneBuffer lanes;
  const int stride = stride_for(k);
  double* T = lanes.get(static_cast<std::size_t>(nv_) * static_cast<std::size_t>(stride));
  for (int i = 0; i < nv_; ++i)
    for (int c = 0; c < stride; ++c) T[i * stride + c] = c < k ? X[c * nv_ + i] : 0.0;
  solve_lanes(M, stride, T);
  for (int c = 0; c < k; ++c)
    for (int i = 0; i < nv_; ++i) X[c * nv_ + i] = T[i * stride + c];
  return true;
}

void forces_to_lanes(const FrameBatch& b, int64_t f, bool per_actuator, const double* G, int stride,
                     double* T) {
  const int nv = b.nv;
  const auto row = [&](std::span<const double> s) { return s.data() + f * nv; };
  const double *bias = row(b.bias), *passive = row(b.passive), *constraint = row(b.constraint),
               *applied = row(b.applied), *actuator = row(b.actuator);
  for (int i = 0; i < nv; ++i) {
    double* t = T + int64_t{i} * stride;
    t[0] = -G[i];
    t[1] = -(bias[i] - G[i]);
    t[2] = passive[i];
    t[3] = constraint[i];
    t[4] = applied[i];
    t[5] = actuator[i];
    std::fill(t + kBaseContributors, t + stride, 0.0);
  }
  if (!per_actuator) return;
  if (!b.actuator_moment.empty()) {
    actuator_forces_to_lanes(nv, b.nu, b.actuator_moment.data() + f * b.nu * nv,
                             b.actuator_force.data() + f * b.nu, stride, T);
    return;
  }
  const std::size_t pairs = b.moment_pairs.size();
  const double* moment = b.moment_values.data() + static_cast<std::size_t>(f) * pairs;
  const double* force = b.actuator_force.data() + f * b.nu;
  for (std::size_t p = 0; p < pairs; ++p) {
    const auto [a, dof] = b.moment_pairs[p];
    T[int64_t{dof} * stride + kBaseContributors + a] += moment[p] * force[a];
  }
}

void actuator_forces_to_lanes(int nv, int nu, const double* moment, const double* force, int stride,
                              double* T) {
  for (int a = 0; a < nu; ++a) {
    const double fa = force[a];
    const double* row = moment + int64_t{a} * nv;
    double* t = T + kBaseContributors + a;
    for (int v = 0; v < nv; ++v) t[int64_t{v} * stride] += row[v] * fa;
  }
}

double lanes_to_rows(int nv, int k, int stride, const double* T, const double* qacc, double* X) {
  // X written row by row (contiguous stores; strided loads hit T in L1). The closure from T's
  // rows: the same sums, in the same order, as frame_closure on X.
  for (int c = 0; c < k; ++c)
    for (int i = 0; i < nv; ++i) X[c * nv + i] = T[int64_t{i} * stride + c];
  double scale = 1e-300, err = 0;
  bool nan = false;
  for (int i = 0; i < nv; ++i) {
    const double* t = T + int64_t{i} * stride;
    double sum = 0;
    for (int c = 0; c < kBaseContributors; ++c) {
      sum += t[c];
      scale = std::max(scale, std::abs(t[c]));
    }
    scale = std::max(scale, std::abs(qacc[i]));
    err = std::max(err, std::abs(sum - qacc[i]));
    nan = nan || std::isnan(sum) || std::isnan(qacc[i]);
  }
  return nan ? std::numeric_limits<double>::quiet_NaN() : err / scale;
}

void site_from_lanes(int k, int stride, const double* acc, const double* bias, double* out,
                     double* site_bias) {
  for (int c = 0; c < k; ++c)
    for (int e = 0; e < 3; ++e) out[c * 3 + e] = acc[e * stride + c] + (c == 1 ? bias[e] : 0.0);
  for (int e = 0; e < 3; ++e) site_bias[e] = bias[e];
}

namespace {}  // namespace

namespace {

/// Large allocations (bytes >= 8 MiB at p): transparent huge pages asked for, then every page
/// faulted in by `threads` threads at once (the kernel zeroes each page it hands out). Advisory.
void prefault(const void* data, std::size_t bytes, int threads) {
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20, kPage = 4096;
  if (bytes < 4 * kHuge) return;
  const auto p = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t lo = (p + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t hi = (p + bytes) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  // Whole pages around the allocation (the first and last are partly malloc's own, mapped and
  // writable already); chunks of whole huge pages.
  const std::uintptr_t first = p & ~(kPage - 1), last = (p + bytes + kPage - 1) & ~(kPage - 1);
  const std::uintptr_t base = first & ~(kHuge - 1);
  const auto chunks = static_cast<int64_t>((last - base + kHuge - 1) / kHuge);
#pragma omp parallel for num_threads(std::max(1, threads)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const std::uintptr_t a = std::max(first, base + static_cast<std::uintptr_t>(c) * kHuge);
    const std::uintptr_t b = std::min(last, base + static_cast<std::uintptr_t>(c + 1) * kHuge);
    if (b > a) madvise(reinterpret_cast<void*>(a), b - a, MADV_POPULATE_WRITE);
  }
#endif
}

/// n values that the caller writes in full (not initialized here).
void sized(ResultArray& v, std::size_t n, int threads) {
  v.clear();
  v.reserve(n);
  prefault(v.data(), n * sizeof(double), threads);
  v.resize(n);
}

}  // namespace

void zeroed(std::vector<double>& v, std::size_t n, int threads) {
  v.clear();
  v.reserve(n);
  prefault(v.data(), n * sizeof(double), threads);
  v.assign(n, 0.0);
}

Result make_result(int64_t frames, int nv, int k, int64_t ns, int threads) {
  Result r;
  r.frames = frames;
  r.nv = nv;
  r.contributors = k;
  sized(r.joint, static_cast<std::size_t>(frames * k * nv), threads);
  sized(r.site, static_cast<std::size_t>(frames * ns * k * 3), threads);
  sized(r.site_bias, static_cast<std::size_t>(frames * ns * 3), threads);
  sized(r.closure, static_cast<std::size_t>(frames), threads);
  return r;
}

void project_site(int nv, int k, const double* J, const double* X, const double* bias, double* out,
                  double* site_bias) {
  for (int c = 0; c < k; ++c)
    for (int e = 0; e < 3; ++e) {
      const double* Je = J + e * nv;
      const double* Xc = X + c * nv;
      double v = 0;
      for (int i = 0; i < nv; ++i) v += Je[i] * Xc[i];
      out[c * 3 + e] = v + (c == 1 ? bias[e] : 0.0);
    }
  for (int e = 0; e < 3; ++e) site_bias[e] = bias[e];
}

double frame_closure(int nv, const double* X, const double* qacc) {
  double scale = 1e-300, err = 0;
  for (int i = 0; i < nv; ++i) {
    double sum = 0;
    for (int c = 0; c < kBaseContributors; ++c) {
      sum += X[c * nv + i];
      scale = std::max(scale, std::abs(X[c * nv + i]));
    }
    scale = std::max(scale, std::abs(qacc[i]));
    err = std::max(err, std::abs(sum - qacc[i]));
    if (std::isnan(sum) || std::isnan(qacc[i])) return std::numeric_limits<double>::quiet_NaN();
  }
  return err / scale;
}

Result compute_tree_cpu(const KinematicTree& tree, const FrameBatch& b, const Options& opt) {
  tree.validate();
  b.validate(opt.per_actuator);
  if (b.nq != tree.nq || b.nv != tree.nv)
    throw InputError("induced accelerations: the batch has nq " + std::to_string(b.nq) + ", nv " +
                     std::to_string(b.nv) + ", the tree " + std::to_string(tree.nq) + ", " +
                     std::to_string(tree.nv));
  std::vector<int> sites;
  for (const auto& name : opt.sites) {
    auto it = std::find_if(tree.sites.begin(), tree.sites.end(),
                           [&](const TreeSite& s) { return s.name == name; });
    if (it == tree.sites.end())
      throw InputError("induced accelerations: the tree has no site '" + name + "'");
    sites.push_back(static_cast<int>(it - tree.sites.begin()));
  }
  if (!sites.empty()) check_span(b.qvel, b.frames, b.nv, "qvel");
  const bool recorded_gravity = opt.recorded_gravity;
  if (recorded_gravity) check_span(b.gravity, b.frames, b.nv, "gravity");
  const tree::TreeView tv = tree::view_of(tree);

  const int nv = b.nv;
  const int k = kBaseContributors + (opt.per_actuator ? b.nu : 0);
  const auto ns = static_cast<int64_t>(sites.size());
  const TreeSolver solver(tree.dof_parent);
  const int stride = TreeSolver::stride_for(k);
  const int threads = threads_for(opt.threads, b.frames);
  Result r = make_result(b.frames, nv, k, ns, threads);
  std::exception_ptr error;
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> s(static_cast<std::size_t>(tree::scratch_size(tv)));
    const tree::Frame fr = tree::carve(tv, s.data());
    std::vector<double> M(static_cast<std::size_t>(solver.nnz())), G(static_cast<std::size_t>(nv)),
        J(static_cast<std::size_t>(3) * nv);
    LaneBuffer lanes;
    double* T = lanes.get(static_cast<std::size_t>(nv + 3) * static_cast<std::size_t>(stride));
    double* acc = T + int64_t{nv} * stride;
    // Chunks of 64 frames handed out as threads free up: on a shared machine a thread that loses
    // its core does not hold the others back (each frame is independent: same result).
#pragma omp for schedule(dynamic, 64)
    for (int64_t f = 0; f < b.frames; ++f) {
      try {
        tree::kinematics(tv, b.qpos.data() + f * b.nq, fr.xpos, fr.xquat, fr.xmat, fr.xanchor,
                         fr.xaxis);
        tree::com_inertia(tv, fr.xpos, fr.xquat, fr.xmat, fr.xanchor, fr.xaxis, fr.cinert, fr.cdof);
        tree::mass_matrix_sparse(tv, fr.cinert, fr.cdof, fr.crb, solver.row_start().data(),
                                 M.data());
        const double* g = G.data();
        if (recorded_gravity)
          g = b.gravity.data() + f * nv;
        else
          tree::gravity_force(tv, fr.cinert, fr.cdof, fr.cacc, G.data());
        forces_to_lanes(b, f, opt.per_actuator, g, stride, T);
        if (!solver.factor(M.data()))
          throw InputError("induced accelerations: M(q) of frame " + std::to_string(f) +
                           " is not positive definite (or not finite: check its qpos)");
        solver.solve_lanes(M.data(), stride, T);
        r.closure[static_cast<std::size_t>(f)] =
            lanes_to_rows(nv, k, stride, T, b.qacc.data() + f * nv, r.joint.data() + f * k * nv);
        if (ns == 0) continue;
        tree::velocities(tv, b.qvel.data() + f * nv, fr.cdof, fr.cvel, fr.cdof_dot);
        for (int64_t si = 0; si < ns; ++si) {
          const TreeSite& site = tree.sites[static_cast<std::size_t>(sites[si])];
          double p[3], bias[3];
          tree::point_position(p, fr.xpos, fr.xmat, site.body, site.pos);
          tree::point_jacobian(tv, fr.cdof, site.body, p, J.data());
          tree::point_bias_acceleration(tv, b.qvel.data() + f * nv, fr.cvel, fr.cdof_dot, fr.cacc,
                                        site.body, p, bias);
          solver.project_lanes(stride, T, J.data(), acc);
          site_from_lanes(k, stride, acc, bias, r.site.data() + ((f * ns + si) * k) * 3,
                          r.site_bias.data() + (f * ns + si) * 3);
        }
      } catch (...) {
#pragma omp critical
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  return r;
}

void KinematicTree::validate() const {
  auto fail = [](const std::string& m) { throw InputError("kinematic tree: " + m); };
  if (bodies.empty()) fail("no bodies (body 0 is the world)");
  if (nv < 0 || nq < nv) fail("nq " + std::to_string(nq) + " < nv " + std::to_string(nv));
  if (static_cast<int32_t>(qpos0.size()) != nq) fail("qpos0 size differs from nq");
  if (static_cast<int32_t>(armature.size()) != nv) fail("armature size differs from nv");
  if (static_cast<int32_t>(dof_body.size()) != nv || static_cast<int32_t>(dof_parent.size()) != nv)
    fail("dof_body / dof_parent sizes differ from nv");
  const auto nb = static_cast<int32_t>(bodies.size());
  const auto nj = static_cast<int32_t>(joints.size());
  for (int32_t i = 1; i < nb; ++i) {
    const TreeBody& b = bodies[static_cast<std::size_t>(i)];
    if (b.parent < 0 || b.parent >= i)
      fail("body " + std::to_string(i) + " has parent " + std::to_string(b.parent) +
           " (parents must come first)");
    if (b.joint_adr < 0 || b.joint_num < 0 || b.joint_adr + b.joint_num > nj)
      fail("body " + std::to_string(i) + " joints out of range");
    if (b.dof_adr < 0 || b.dof_num < 0 || b.dof_adr + b.dof_num > nv)
      fail("body " + std::to_string(i) + " dofs out of range");
    if (b.chain_dof < -1 || b.chain_dof >= nv)
      fail("body " + std::to_string(i) + " chain dof out of range");
    if (!(b.mass >= 0)) fail("body " + std::to_string(i) + " has a negative or NaN mass");
  }
  for (int32_t j = 0; j < nj; ++j) {
    const TreeJoint& jt = joints[static_cast<std::size_t>(j)];
    if (jt.type < 0 || jt.type > 3) fail("joint " + std::to_string(j) + " has an unknown type");
    const int dofs = jt.type == 0 ? 6 : jt.type == 1 ? 3 : 1;
    const int coords = jt.type == 0 ? 7 : jt.type == 1 ? 4 : 1;
    if (jt.body <= 0 || jt.body >= nb || jt.dof_adr < 0 || jt.dof_adr + dofs > nv ||
        jt.qpos_adr < 0 || jt.qpos_adr + coords > nq)
      fail("joint " + std::to_string(j) + " addresses out of range");
  }
  for (int32_t d = 0; d < nv; ++d) {
    const auto i = static_cast<std::size_t>(d);
    if (dof_parent[i] >= d || dof_parent[i] < -1 || dof_body[i] <= 0 || dof_body[i] >= nb)
      fail("dof " + std::to_string(d) + " has a bad parent or body");
  }
  for (const auto& s : sites)
    if (s.body < 0 || s.body >= nb) fail("site '" + s.name + "' is on a body out of range");
}

}  // namespace swingpipe::iaa
