// Induced accelerations from recorded full states with MuJoCo (induced_accel_engine.hpp).
#include "swingpipe/host/induced_accel_engine.hpp"

#include <mujoco/mujoco.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "swingpipe/error.hpp"

namespace swingpipe::engine {
namespace {

int threads_for(int requested, int64_t frames) {
  const int t = requested > 0 ? requested : omp_get_max_threads();
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(t, (frames + 63) / 64)));
}

/// J'qd of site `site` from MuJoCo's cvel and cdof_dot (after mj_comVel): the classical linear
/// acceleration with qacc = 0 and without gravity. MuJoCo references each tree's spatial vectors
/// at the subtree centre of mass of its root body.
void site_bias_acceleration(const mjModel* m, const mjData* d, int site, double* cacc,
                            double out[3]) {
  for (int k = 0; k < 6; ++k) cacc[k] = 0;
  for (int i = 1; i < m->nbody; ++i) {
    const int p = m->body_parentid[i];
    for (int k = 0; k < 6; ++k) cacc[6 * i + k] = cacc[6 * p + k];
    for (int j = m->body_dofadr[i]; j < m->body_dofadr[i] + m->body_dofnum[i]; ++j)
      for (int k = 0; k < 6; ++k) cacc[6 * i + k] += d->cdof_dot[6 * j + k] * d->qvel[j];
  }
  const int b = m->site_bodyid[site];
  const double* c = d->subtree_com + 3 * m->body_rootid[b];
  double r[3];
  for (int k = 0; k < 3; ++k) r[k] = d->site_xpos[3 * site + k] - c[k];
  const double* a = cacc + 6 * b;
  const double* v = d->cvel + 6 * b;
  double axr[3], wxr[3], vp[3], wxv[3];
  mju_cross(axr, a, r);
  mju_cross(wxr, v, r);
  for (int k = 0; k < 3; ++k) vp[k] = v[3 + k] + wxr[k];
  mju_cross(wxv, v, vp);
  for (int k = 0; k < 3; ++k) out[k] = a[3 + k] + axr[k] + wxv[k];
}

}  // namespace

iaa::KinematicTree export_tree(const Model& model, const std::vector<std::string>& sites) {
  const mjModel* m = model.get();
  iaa::KinematicTree t;
  t.nq = m->nq;
  t.nv = m->nv;
  for (int i = 0; i < m->nbody; ++i) {
    if (m->body_mocapid[i] >= 0)
      throw InputError("model " + model.path().string() +
                       ": mocap bodies are not supported by the induced-acceleration tree");
    iaa::TreeBody b;
    b.parent = m->body_parentid[i];
    b.joint_adr = m->body_jntadr[i] < 0 ? 0 : m->body_jntadr[i];
    b.joint_num = m->body_jntnum[i];
    b.dof_adr = m->body_dofadr[i] < 0 ? 0 : m->body_dofadr[i];
    b.dof_num = m->body_dofnum[i];
    if (b.dof_num > 0)
      b.chain_dof = b.dof_adr + b.dof_num - 1;
    else
      b.chain_dof = i == 0 ? -1 : t.bodies[static_cast<std::size_t>(b.parent)].chain_dof;
    for (int k = 0; k < 3; ++k) {
      b.pos[k] = m->body_pos[3 * i + k];
      b.ipos[k] = m->body_ipos[3 * i + k];
      b.inertia[k] = m->body_inertia[3 * i + k];
    }
    for (int k = 0; k < 4; ++k) {
      b.quat[k] = m->body_quat[4 * i + k];
      b.iquat[k] = m->body_iquat[4 * i + k];
    }
    b.mass = m->body_mass[i];
    t.bodies.push_back(b);
  }
  for (int j = 0; j < m->njnt; ++j) {
    iaa::TreeJoint jt;
    jt.type = m->jnt_type[j];
    jt.body = m->jnt_bodyid[j];
    jt.qpos_adr = m->jnt_qposadr[j];
    jt.dof_adr = m->jnt_dofadr[j];
    for (int k = 0; k < 3; ++k) {
      jt.pos[k] = m->jnt_pos[3 * j + k];
      jt.axis[k] = m->jnt_axis[3 * j + k];
    }
    t.joints.push_back(jt);
  }
  t.qpos0.assign(m->qpos0, m->qpos0 + m->nq);
  t.armature.assign(m->dof_armature, m->dof_armature + m->nv);
  t.dof_body.assign(m->dof_bodyid, m->dof_bodyid + m->nv);
  t.dof_parent.assign(m->dof_parentid, m->dof_parentid + m->nv);
  const bool gravity = !(m->opt.disableflags & mjDSBL_GRAVITY);
  for (int k = 0; k < 3; ++k) t.gravity[k] = gravity ? m->opt.gravity[k] : 0.0;
  for (const auto& name : sites) {
    const int s = model.site(name);
    iaa::TreeSite ts;
    ts.name = name;
    ts.body = m->site_bodyid[s];
    for (int k = 0; k < 3; ++k) ts.pos[k] = m->site_pos[3 * s + k];
    t.sites.push_back(ts);
  }
  t.validate();
  return t;
}

namespace {

/// The recorded channels of `s` as kernel input, without the actuator moments.
iaa::FrameBatch channels_of(const FullState& s) {
  iaa::FrameBatch b;
  b.frames = s.frames;
  b.nq = s.nq;
  b.nv = s.nv;
  b.nu = s.nu;
  b.qpos = s.qpos;
  b.qvel = s.qvel;
  b.qacc = s.qacc;
  b.bias = s.qfrc_bias;
  b.gravity = s.qfrc_gravity;
  b.passive = s.qfrc_passive;
  b.constraint = s.qfrc_constraint;
  b.applied = s.qfrc_applied;
  b.actuator = s.qfrc_actuator;
  b.actuator_force = s.actuator_force;
  return b;
}

}  // namespace

iaa::FrameBatch frame_batch(const FullState& s, std::vector<double>& moment_values) {
  iaa::FrameBatch b = channels_of(s);
  const auto nu = static_cast<std::size_t>(s.nu), nv = static_cast<std::size_t>(s.nv);
  const auto n = static_cast<std::size_t>(s.frames);
  // The (actuator, dof) pairs whose moment is non-zero (or NaN) in some frame, actuator-major;
  // one pass over the frames in memory order.
  std::vector<unsigned char> used(nu * nv, 0);
  for (std::size_t f = 0; f < n; ++f) {
    const double* row = s.actuator_moment.data() + f * nu * nv;
    for (std::size_t i = 0; i < nu * nv; ++i) used[i] |= static_cast<unsigned char>(row[i] != 0);
  }
  for (std::size_t a = 0; a < nu; ++a)
    for (std::size_t v = 0; v < nv; ++v)
      if (used[a * nv + v]) b.moment_pairs.emplace_back(static_cast<int>(a), static_cast<int>(v));
  const std::size_t pairs = b.moment_pairs.size();
  moment_values.assign(n * pairs, 0.0);
  for (std::size_t f = 0; f < n; ++f)
    for (std::size_t p = 0; p < pairs; ++p) {
      const auto [a, v] = b.moment_pairs[p];
      moment_values[f * pairs + p] = s.actuator_moment[(f * nu + static_cast<std::size_t>(a)) * nv +
                                                       static_cast<std::size_t>(v)];
    }
  b.moment_values = moment_values;
  return b;
}

iaa::Result induced_accelerations(const std::shared_ptr<const Model>& model, const FullState& state,
                                  const iaa::Options& opt) {
  const mjModel* m = model->get();
  if (state.nq != m->nq || state.nv != m->nv || state.nu != m->nu)
    throw InputError("induced accelerations: the recorded state does not fit model " +
                     model->path().string() + " (nq/nv/nu " + std::to_string(state.nq) + "/" +
                     std::to_string(state.nv) + "/" + std::to_string(state.nu) + " vs " +
                     std::to_string(m->nq) + "/" + std::to_string(m->nv) + "/" +
                     std::to_string(m->nu) + ")");
  // Per-actuator forces come from the dense moment matrices of the recording, frame by frame in
  // the parallel loop (no serial pass over all frames to find the non-zero pairs first).
  if (opt.mass_source == iaa::MassSource::tree && m->nmocap == 0) {
    // The default: M(q) and G(q) from the tree math of kernels/common (the CUDA path's code, run
    // on the CPU), which costs less than MuJoCo's position stages; sites likewise.
    iaa::FrameBatch tb = channels_of(state);
    if (opt.per_actuator) tb.actuator_moment = state.actuator_moment;
    iaa::Options o = opt;
    o.recorded_gravity = true;  // as the MuJoCo source: the recorded G splits the bias force
    return iaa::compute_tree_cpu(export_tree(*model, opt.sites), tb, o);
  }
  const iaa::FrameBatch b = channels_of(state);
  b.validate(false);
  const int nu = m->nu;
  if (opt.per_actuator) {
    const auto want = static_cast<std::size_t>(b.frames) * static_cast<std::size_t>(nu);
    if (state.actuator_force.size() != want ||
        state.actuator_moment.size() != want * static_cast<std::size_t>(m->nv))
      throw InputError(
          "induced accelerations: the recorded actuator forces or moments do not "
          "have nu (x nv) values per frame");
  }
  std::vector<int> sites;
  for (const auto& s : opt.sites) sites.push_back(model->site(s));
  const int nv = m->nv;
  const int k = iaa::kBaseContributors + (opt.per_actuator ? m->nu : 0);
  const auto ns = static_cast<int64_t>(sites.size());
  // M(q) from MuJoCo's composite rigid bodies (mj_crb's qM) is already tree-sparse: it goes to the
  // solver without a dense copy. MuJoCo's row i (at dof_Madr[i]) holds the same columns in the
  // same order as the solver's row i (the diagonal, then the ancestors nearest first).
  const iaa::TreeSolver solver(
      std::span<const int32_t>(m->dof_parentid, static_cast<std::size_t>(nv)));
  std::vector<int> from_qM(static_cast<std::size_t>(solver.nnz()));
  for (int i = 0; i < nv; ++i) {
    const auto lo = solver.row_start()[static_cast<std::size_t>(i)];
    const auto hi = solver.row_start()[static_cast<std::size_t>(i) + 1];
    for (int32_t p = lo; p < hi; ++p)
      from_qM[static_cast<std::size_t>(p)] = m->dof_Madr[i] + (p - lo);
  }
  const int stride = iaa::TreeSolver::stride_for(k);
  const int threads = threads_for(opt.threads, b.frames);
  iaa::Result r = iaa::make_result(b.frames, nv, k, ns, threads);
  std::exception_ptr error;
#pragma omp parallel num_threads(threads)
  {
    std::unique_ptr<Data> data;
    std::vector<double> M(static_cast<std::size_t>(solver.nnz())),
        J(static_cast<std::size_t>(3) * nv), cacc(static_cast<std::size_t>(6) * m->nbody);
    iaa::LaneBuffer lanes;
    double* T = lanes.get(static_cast<std::size_t>(nv + 3) * static_cast<std::size_t>(stride));
    double* acc = T + int64_t{nv} * stride;
    try {
      data = std::make_unique<Data>(model);
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
#pragma omp for schedule(dynamic, 64)  // as compute_tree_cpu
    for (int64_t f = 0; f < b.frames; ++f) {
      if (!data) continue;
      try {
        mjData* d = data->get();
        // Position stages only: kinematics, inertias and dofs at the centre of mass, composite
        // rigid bodies (M with the armature).
        mju_copy(d->qpos, b.qpos.data() + f * m->nq, m->nq);
        mj_kinematics(m, d);
        mj_comPos(m, d);
        mj_crb(m, d);
        for (std::size_t p = 0; p < M.size(); ++p) M[p] = d->qM[from_qM[p]];
        iaa::forces_to_lanes(b, f, false, b.gravity.data() + f * nv, stride, T);
        if (opt.per_actuator)
          iaa::actuator_forces_to_lanes(nv, nu, state.actuator_moment.data() + f * nu * nv,
                                        state.actuator_force.data() + f * nu, stride, T);
        if (!solver.factor(M.data()))
          throw InputError("induced accelerations: M(q) of frame " + std::to_string(f) +
                           " is not positive definite (or not finite: check its qpos)");
        solver.solve_lanes(M.data(), stride, T);
        r.closure[static_cast<std::size_t>(f)] = iaa::lanes_to_rows(
            nv, k, stride, T, b.qacc.data() + f * nv, r.joint.data() + f * k * nv);
        if (ns == 0) continue;
        mju_copy(d->qvel, b.qvel.data() + f * nv, nv);
        mj_comVel(m, d);
        for (int64_t si = 0; si < ns; ++si) {
          double bias[3];
          mj_jacSite(m, d, J.data(), nullptr, sites[static_cast<std::size_t>(si)]);
          site_bias_acceleration(m, d, sites[static_cast<std::size_t>(si)], cacc.data(), bias);
          solver.project_lanes(stride, T, J.data(), acc);
          iaa::site_from_lanes(k, stride, acc, bias, r.site.data() + ((f * ns + si) * k) * 3,
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

Counterfactuals counterfactuals(const std::shared_ptr<const Model>& model, const FullState& s,
                                const std::vector<std::string>& sites, int threads) {
  const mjModel* m = model->get();
  if (s.nq != m->nq || s.nv != m->nv || s.nu != m->nu)
    throw InputError("counterfactuals: the recorded state does not fit model " +
                     model->path().string());
  std::vector<int> ids;
  for (const auto& name : sites) ids.push_back(model->site(name));
  const int nv = m->nv;
  const auto ns = ids.size();
  const auto n = static_cast<std::size_t>(s.frames);
  Counterfactuals cf;
  cf.ztcf.assign(n * static_cast<std::size_t>(nv), 0.0);
  cf.zvcf.assign(n * static_cast<std::size_t>(nv), 0.0);
  cf.ztcf_site.assign(n * ns * 3, 0.0);
  cf.zvcf_site.assign(n * ns * 3, 0.0);
  std::exception_ptr error;
#pragma omp parallel num_threads(threads_for(threads, s.frames))
  {
    std::unique_ptr<Data> data;
    try {
      data = std::make_unique<Data>(model);
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
#pragma omp for schedule(static)
    for (int64_t f = 0; f < s.frames; ++f) {
      if (!data) continue;
      try {
        mjData* d = data->get();
        for (int which = 0; which < 2; ++which) {
          mju_copy(d->qpos, s.qpos.data() + f * m->nq, m->nq);
          if (which == 0) {
            mju_copy(d->qvel, s.qvel.data() + f * nv, nv);
            mju_zero(d->ctrl, m->nu);
            if (m->na) mju_zero(d->act, m->na);
          } else {
            mju_zero(d->qvel, nv);
            mju_copy(d->ctrl, s.ctrl.data() + f * m->nu, m->nu);
          }
          mju_copy(d->qfrc_applied, s.qfrc_applied.data() + f * nv, nv);
          mju_zero(d->xfrc_applied, 6 * m->nbody);
          d->time = s.time[static_cast<std::size_t>(f)];
          mj_forward(m, d);
          auto& q = which == 0 ? cf.ztcf : cf.zvcf;
          std::copy(d->qacc, d->qacc + nv, q.begin() + f * nv);
          if (ns == 0) continue;
          auto& site = which == 0 ? cf.ztcf_site : cf.zvcf_site;
          site_accelerations(*data, ids,
                             {site.data() + static_cast<std::size_t>(f) * ns * 3, ns * 3});
        }
      } catch (...) {
#pragma omp critical
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  return cf;
}

}  // namespace swingpipe::engine
