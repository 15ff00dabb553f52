#pragma once
// Induced accelerations (design.md §4): per frame, the generalized acceleration each force
// contributor causes on its own, qdd_c = M(q)^-1 F_c, for
//   gravity     F = -G(q)                         (G: bias force at zero velocity)
//   velocity    F = -(bias(q, qd) - G(q))         (Coriolis and centrifugal)
//   passive     F = qfrc_passive                  (springs, damping)
//   constraint  F = qfrc_constraint               (contacts, equality constraints, limits)
//   applied     F = qfrc_applied (+ J^T xfrc_applied)
//   control     F = qfrc_actuator                 (all actuators together)
// and, optionally, each actuator a: F = moment_a * force_a. The first six sum to the recorded
// qacc (closure, to the constraint solver's tolerance); the actuators sum to `control`. For named
// sites the task-space view is J(q) qdd_c, with the velocity-product term J'(q, qd) qd added to
// `velocity`, so the site rows sum to the site's classical acceleration.
//
// Inputs are frame-major arrays of recorded channels (engine::FullState's layout). M(q) is never
// an input: the CPU path (engine::induced_accelerations) recomputes it by default with the
// composite-rigid-body code of kernels/common from a KinematicTree exported once from the model
// (compute_tree_cpu), or on request with MuJoCo's position stages, and solves with TreeSolver
// below; the CUDA path runs the same tree code on the device.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "swingpipe/kernels/rigid_tree.hpp"

namespace swingpipe::iaa {

/// The contributors that sum to qacc, in output order.
inline constexpr int kBaseContributors = 6;
inline constexpr std::string_view kContributorNames[kBaseContributors] = {
    "gravity", "velocity", "passive", "constraint", "applied", "control"};

/// Recorded frames (frame-major: row f of qpos is qpos[f * nq, f * nq + nq)).
struct FrameBatch {
  int64_t frames = 0;
  int nq = 0, nv = 0, nu = 0;
  std::span<const double> qpos, qvel, qacc;  ///< nq, nv, nv per frame
  std::span<const double> bias, gravity, passive, constraint, applied, actuator;  ///< nv each
  std::span<const double> actuator_force;  ///< nu per frame (per-actuator contributions only)
  /// Non-zero entries of the actuator moment matrix: moment_values[f * pairs + p] is the moment
  /// of actuator moment_pairs[p].first on dof moment_pairs[p].second (per-actuator only).
  std::vector<std::pair<int, int>> moment_pairs;
  std::span<const double> moment_values;
  /// Or the dense actuator moment matrices, nu x nv per frame (CPU paths only: when this is not
  /// empty it is used instead of the pairs; the CUDA path takes pairs).
  std::span<const double> actuator_moment;

  /// InputError naming the first array whose size does not match.
  void validate(bool per_actuator) const;
};

/// Where the CPU path (engine::induced_accelerations) gets M(q) from.
enum class MassSource {
  tree,    ///< the tree math of kernels/common (the CUDA path's code) on the CPU: fastest
  mujoco,  ///< MuJoCo's position stages (mj_kinematics, mj_comPos, mj_crb)
};

struct Options {
  bool per_actuator = false;       ///< add one contributor per actuator after the six
  std::vector<std::string> sites;  ///< task-space rows for these (tree) sites
  Backend backend = Backend::cpu;
  int threads = 0;                            ///< CPU threads (0 = all)
  MassSource mass_source = MassSource::tree;  ///< CPU path only
  /// compute_tree_cpu: split the bias force with the batch's recorded gravity channel instead of
  /// the recomputed G(q) (the engine's CPU path does: the recorded G comes from the same
  /// mj_forward as the recorded bias, so the velocity row at rest is exactly zero). The CUDA
  /// path always recomputes G(q).
  bool recorded_gravity = false;
};

/// std::allocator, except that value-initializing an element leaves it uninitialized: resize()
/// does not write zeros first, for arrays the computation then writes in full (a result of 20 000
/// frames at nv 27 is 117 MB: filling it with zeros first cost as much as a fifth of the work).
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using ResultArray = std::vector<double, UninitializedAllocator<double>>;

/// Contributions of a batch.
struct Result {
  int64_t frames = 0;
  int nv = 0;
  int contributors = 0;  ///< 6, plus nu with per_actuator
  /// frames x contributors x nv
  ResultArray joint;
  /// frames x sites x contributors x 3 (world x, y, z; m/s^2)
  ResultArray site;
  /// frames x sites x 3: J'qd (already included in the velocity rows)
  ResultArray site_bias;
  /// per frame: max_i |sum_c<6 qdd_c[i] - qacc[i]| / max(max |qdd_c|, max |qacc|, 1e-300)
  ResultArray closure;

  double max_closure() const;
};

/// Builds the contributor forces of one frame: rows of nv values, 6 (+ nu) rows into `F`.
void frame_forces(const FrameBatch& batch, int64_t frame, bool per_actuator, std::span<double> F);

/// A dense solve, for matrices without tree structure (the CPU paths use TreeSolver):
/// solves M X = F for one frame in place: `M` (nv x nv, symmetric positive definite; destroyed)
/// and `X` (k right-hand sides of nv values, one after the other; overwritten with the
/// solutions) with one Cholesky factorization (Eigen; fixed-size code for nv 16, 27 and 40).
/// Returns false, leaving X unspecified, when M is not positive definite.
/// The triangular solves run all right-hand sides at once, with AVX2 + FMA where the CPU has it
/// (checked at run time), generic code otherwise.
bool solve_frame(int nv, int k, double* M, double* X);

/// solve_frame with a chosen instruction set (Simd::best: what solve_frame uses), for tests and
/// benchmarks: scalar (generic code), avx2 or best. BackendError when this CPU cannot run `isa`,
/// and for avx512 (no such variant: 512-bit vectors measured slower than AVX2).
bool solve_frame(dtw::Simd isa, int nv, int k, double* M, double* X);

/// 64-byte aligned scratch of doubles (TreeSolver's lanes), reused across frames.
class LaneBuffer {
 public:
  /// At least n doubles, 64-byte aligned (contents unspecified after growing).
  double* get(std::size_t n) {
    if (buf_.size() < n + 8) buf_.resize(n + 8);
    const auto misalign = reinterpret_cast<std::uintptr_t>(buf_.data()) % 64;
    return buf_.data() + (misalign ? (64 - misalign) / sizeof(double) : 0);
  }

 private:
  std::vector<double> buf_;
};

/// Solves M(q) X = F on a kinematic tree, using M's sparsity: M[i][j] != 0 only where one dof is
/// an ancestor of the other (dof_parent), so M = L^T D L with L (unit lower triangular) on the
/// same pattern, no fill-in (Featherstone's LTDL, MuJoCo's mj_factorM), and each right-hand side
/// costs O(sum of the dofs' depths) instead of O(nv^2). This is what both CPU paths use.
///
/// Sparse layout (MuJoCo's qM layout): row i holds M[i][i], then M[i][j] for the ancestors j of
/// i, nearest first, starting at row_start()[i]; columns() names each entry's j.
///
/// Right-hand sides are solved as lanes: T holds nv rows of `stride` doubles (stride a multiple
/// of kBlock, T 64-byte aligned), row i being dof i of every right-hand side; the substitution
/// runs 8 right-hand sides per vector operation (AVX-512, AVX2 + FMA or generic code, picked at
/// construction).
class TreeSolver {
 public:
  static constexpr int kBlock = 8;

  TreeSolver() : TreeSolver(std::span<const int32_t>{}) {}
  /// From each dof's parent dof (-1 at a root; parents come first). InputError for a bad parent;
  /// BackendError when this CPU cannot run `isa` (best: the widest it can).
  explicit TreeSolver(std::span<const int32_t> dof_parent, dtw::Simd isa = dtw::Simd::best);

  int nv() const { return nv_; }
  int64_t nnz() const { return static_cast<int64_t>(columns_.size()); }
  const std::vector<int32_t>& row_start() const { return row_start_; }  ///< nv + 1
  const std::vector<int32_t>& columns() const { return columns_; }      ///< nnz
  dtw::Simd isa() const { return isa_; }
  /// The lane stride for k right-hand sides: k rounded up to kBlock.
  static int stride_for(int k) { return (k + kBlock - 1) / kBlock * kBlock; }

  /// The sparse values (nnz) of a dense row-major nv x nv M (its lower triangle is read).
  void gather(const double* dense, double* M) const;
  /// Factorizes the sparse M in place into L^T D L: row k becomes 1/D[k], then L[k][ancestors].
  /// Returns false (M unspecified) when M is not positive definite or holds NaN or infinity.
  bool factor(double* M) const;
  /// Solves every lane of T in place with a factor from factor().
  void solve_lanes(const double* LD, int stride, double* T) const;
  /// acc (3 rows of `stride`, 64-byte aligned) = J T for a 3 x nv row-major J: a point's linear
  /// acceleration for every lane.
  void project_lanes(int stride, const double* T, const double* J, double* acc) const;
  /// factor() then solve for k right-hand sides stored as rows (X: k x nv, in place; thread-local
  /// scratch). Returns false when M is not positive definite.
  bool solve(double* M, int k, double* X) const;

 private:
  using SolveFn = void (*)(int, const int32_t*, const int32_t*, const double*, int, double*);
  using ProjectFn = void (*)(int, int, const double*, const double*, double*);
  int nv_ = 0;
  std::vector<int32_t> row_start_, columns_;
  dtw::Simd isa_ = dtw::Simd::scalar;
  using FactorFn = bool (*)(int, const int32_t*, const int32_t*, double*);
  SolveFn solve_ = nullptr;
  ProjectFn project_ = nullptr;
  FactorFn factor_ = nullptr;
};

/// The contributor forces of frame f with gravity G (nv values) as lanes: T row i (of `stride`
/// doubles) gets contributor c's force on dof i in lane c, zero in the lanes past the
/// contributors.
void forces_to_lanes(const FrameBatch& batch, int64_t frame, bool per_actuator, const double* G,
                     int stride, double* T);

/// Adds actuator a's generalized force moment[a][v] * force[a] to lane kBaseContributors + a of
/// every row v of T (moment: the dense nu x nv actuator moment matrix of one frame, force: nu).
/// Every entry counts, so a NaN force shows in its contributor even where its moment is zero.
void actuator_forces_to_lanes(int nv, int nu, const double* moment, const double* force, int stride,
                              double* T);

/// The k solved lanes of T as rows (X: k x nv, the Result::joint layout of one frame); returns
/// the frame's closure measure against qacc (as frame_closure).
double lanes_to_rows(int nv, int k, int stride, const double* T, const double* qacc, double* X);

/// A site's rows of one frame from its projected lanes (acc from project_lanes): out[c * 3 + e] =
/// acc[e * stride + c], plus bias[e] for the velocity-coupling contributor; site_bias[e] =
/// bias[e].
void site_from_lanes(int k, int stride, const double* acc, const double* bias, double* out,
                     double* site_bias);

/// The closure measure of one frame (see Result::closure): X holds at least 6 rows.
double frame_closure(int nv, const double* X, const double* qacc);

/// v = n zeros. Large arrays (the contributions: ~6 KB per frame at nv 27; the recorded state)
/// are asked to be backed by transparent huge pages before they are first touched (far fewer page
/// faults), and their pages are faulted in by `threads` threads at once (the kernel zeroes each
/// page it hands out: as much work as the solves of a frame), so only the final fill with zeros
/// runs on one thread. Both are advisory: where the kernel says no, nothing changes.
void zeroed(std::vector<double>& v, std::size_t n, int threads);

/// A Result of `frames` frames, nv DoF, k contributors and ns sites, every array sized but not
/// initialized: the CPU paths write every element of every frame (large arrays are faulted in by
/// `threads` threads).
Result make_result(int64_t frames, int nv, int k, int64_t ns, int threads = 1);

/// One site of one frame: out[c * 3 + e] = J[e] . X[c], plus bias[e] for the velocity-coupling
/// contributor (c = 1); site_bias[e] = bias[e]. J is 3 x nv and X is k x nv, row-major.
void project_site(int nv, int k, const double* J, const double* X, const double* bias, double* out,
                  double* site_bias);

/// The whole per-frame computation on the GPU from `tree` (M(q) and G(q) recomputed on the
/// device; the recorded gravity channel is not read), inputs streamed from pinned memory.
/// BackendError without CUDA or without a device; InputError for bad inputs.
Result compute_cuda(const KinematicTree& tree, const FrameBatch& batch, const Options& options);

/// The same computation on the CPU from the same tree: the reference for the CUDA path, and
/// the default CPU path (engine::induced_accelerations calls it with recorded_gravity and the
/// dense actuator moments).
Result compute_tree_cpu(const KinematicTree& tree, const FrameBatch& batch, const Options& options);

}  // namespace swingpipe::iaa
