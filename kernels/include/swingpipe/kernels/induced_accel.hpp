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
// an input: the CPU path recomputes it with MuJoCo's position stages (host/engine, which calls
// solve_frame below), the CUDA path with the composite-rigid-body code of kernels/common from a
// KinematicTree exported once from the model.
#include <cstdint>
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

  /// InputError naming the first array whose size does not match.
  void validate(bool per_actuator) const;
};

struct Options {
  bool per_actuator = false;       ///< add one contributor per actuator after the six
  std::vector<std::string> sites;  ///< task-space rows for these (tree) sites
  Backend backend = Backend::cpu;
  int threads = 0;  ///< CPU threads (0 = all)
};

/// Contributions of a batch.
struct Result {
  int64_t frames = 0;
  int nv = 0;
  int contributors = 0;  ///< 6, plus nu with per_actuator
  /// frames x contributors x nv
  std::vector<double> joint;
  /// frames x sites x contributors x 3 (world x, y, z; m/s^2)
  std::vector<double> site;
  /// frames x sites x 3: J'qd (already included in the velocity rows)
  std::vector<double> site_bias;
  /// per frame: max_i |sum_c<6 qdd_c[i] - qacc[i]| / max(max |qdd_c|, max |qacc|, 1e-300)
  std::vector<double> closure;

  double max_closure() const;
};

/// Builds the contributor forces of one frame: rows of nv values, 6 (+ nu) rows into `F`.
void frame_forces(const FrameBatch& batch, int64_t frame, bool per_actuator, std::span<double> F);

/// Solves M X = F for one frame in place: `M` (nv x nv, symmetric positive definite; destroyed)
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

/// The closure measure of one frame (see Result::closure): X holds at least 6 rows.
double frame_closure(int nv, const double* X, const double* qacc);

/// A Result of `frames` frames, nv DoF, k contributors and ns sites, every array sized and zero.
Result make_result(int64_t frames, int nv, int k, int64_t ns);

/// One site of one frame: out[c * 3 + e] = J[e] . X[c], plus bias[e] for the velocity-coupling
/// contributor (c = 1); site_bias[e] = bias[e]. J is 3 x nv and X is k x nv, row-major.
void project_site(int nv, int k, const double* J, const double* X, const double* bias, double* out,
                  double* site_bias);

/// The whole per-frame computation on the GPU from `tree` (M(q) and G(q) recomputed on the
/// device; the recorded gravity channel is not read), inputs streamed from pinned memory.
/// BackendError without CUDA or without a device; InputError for bad inputs.
Result compute_cuda(const KinematicTree& tree, const FrameBatch& batch, const Options& options);

/// The same computation on the CPU from the same tree (the reference for the CUDA path; the
/// production CPU path uses MuJoCo: engine::induced_accelerations).
Result compute_tree_cpu(const KinematicTree& tree, const FrameBatch& batch, const Options& options);

}  // namespace swingpipe::iaa
