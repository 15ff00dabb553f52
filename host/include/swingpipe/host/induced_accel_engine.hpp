#pragma once
// Induced accelerations from recorded full states (host/engine side of kernels/induced_accel.hpp).
//
// CPU path (induced_accelerations): per frame, M(q) from the position stages only (no collision,
// no constraint solve), then one tree-sparse L^T D L factorization and one solve with all
// contributors as right-hand sides (iaa::TreeSolver) give the contributions. Frames run across
// threads. Where M(q) comes from is options.mass_source:
//  - MassSource::tree (default, the faster): the kinematic tree is exported once and the tree
//    math of kernels/common (the CUDA path's code, tested against mj_fullM / mj_rne to 1e-12)
//    computes M(q) and the site rows (iaa::compute_tree_cpu with the recorded G(q) splitting the
//    bias force). Models with mocap bodies fall back to MuJoCo.
//  - MassSource::mujoco: MuJoCo's mj_kinematics, mj_comPos and mj_crb (qM read sparse, no dense
//    copy), each thread with its own mjData; the recorded G(q) splits the bias force into gravity
//    and velocity; sites add mj_comVel and mj_jacSite for J and J'(q, qd) qd.
//
// CUDA path: export_tree() once, then iaa::compute_cuda.
//
// Counterfactuals (counterfactuals): ZTCF, the acceleration with every control set to zero
// (ctrl = 0, act = 0) in the recorded state, and ZVCF, the acceleration with the velocities set
// to zero and the recorded controls, both by MuJoCo's full forward dynamics, so contacts and
// equality constraints respond to the change (as the Python suite's counterfactuals did, one
// frame at a time rather than by re-simulating). The differences qacc - ztcf and qacc - zvcf are
// what the controls and the velocities add once the constraints respond.
#include <memory>
#include <string>
#include <vector>

#include "swingpipe/host/engine.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe::engine {

/// The kinematic tree of `model` with `sites`, for the CUDA kernels. InputError for what the tree
/// code does not handle (mocap bodies) or an unknown site.
iaa::KinematicTree export_tree(const Model& model, const std::vector<std::string>& sites);

/// The recorded channels of `state` as kernel input (spans into `state`; the moment values are
/// gathered into `moment_values`, which must outlive the batch).
iaa::FrameBatch frame_batch(const FullState& state, std::vector<double>& moment_values);

/// The CPU path. options.sites must be sites of the model; options.backend is ignored.
iaa::Result induced_accelerations(const std::shared_ptr<const Model>& model, const FullState& state,
                                  const iaa::Options& options);

struct Counterfactuals {
  std::vector<double> ztcf, zvcf;            ///< frames x nv
  std::vector<double> ztcf_site, zvcf_site;  ///< frames x sites x 3 (classical, m/s^2)
};
Counterfactuals counterfactuals(const std::shared_ptr<const Model>& model, const FullState& state,
                                const std::vector<std::string>& sites, int threads);

}  // namespace swingpipe::engine
