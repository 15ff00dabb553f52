// Full state of frames (engine.hpp): capture after mj_forward, what-if computations that restore
// mjData bit for bit, and get_full_state for a whole batch of frames.
#include <mujoco/mujoco.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "swingpipe/error.hpp"
#include "swingpipe/host/engine.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe::engine {
namespace {

/// Saves arrays of mjData and MuJoCo's stack bookkeeping; puts them back when it goes away.
class Restore {
 public:
  explicit Restore(mjData* d) : d_(d), pstack_(d->pstack), maxuse_stack_(d->maxuse_stack) {}
  ~Restore() {
    for (const auto& s : saved_) std::memcpy(s.ptr, s.copy.data(), s.copy.size() * sizeof(double));
    d_->pstack = pstack_;
    d_->maxuse_stack = maxuse_stack_;
  }
  Restore(const Restore&) = delete;
  Restore& operator=(const Restore&) = delete;
  void save(double* ptr, std::size_t count) { saved_.push_back({ptr, {ptr, ptr + count}}); }

 private:
  struct Saved {
    double* ptr;
    std::vector<double> copy;
  };
  mjData* d_;
  int pstack_, maxuse_stack_;
  std::vector<Saved> saved_;
};

template <class T>
void copy_row(std::vector<double>& dst, int64_t frame, int width, const T* src) {
  std::copy(src, src + width, dst.begin() + frame * width);
}

void check_size(const std::vector<double>& v, int64_t frames, int width, const char* name,
                bool may_be_empty = false) {
  if (may_be_empty && v.empty()) return;
  if (static_cast<int64_t>(v.size()) != frames * width)
    throw InputError(std::string("get_full_state: ") + name + " has " + std::to_string(v.size()) +
                     " values, " + std::to_string(frames) + " frames need " +
                     std::to_string(frames * width));
}

}  // namespace

void FullState::resize(const Model& model, std::vector<std::string> site_names, int64_t n) {
  site_ids.clear();
  for (const auto& s : site_names) site_ids.push_back(model.site(s));  // InputError if unknown
  frames = n;
  nq = model.nq();
  nv = model.nv();
  nu = model.nu();
  sites = std::move(site_names);
  const auto f = static_cast<std::size_t>(n);
  const auto q = static_cast<std::size_t>(nq), v = static_cast<std::size_t>(nv),
             u = static_cast<std::size_t>(nu), s3 = 3 * sites.size();
  // Large arrays (the moments: nu x nv per frame) are faulted in by all threads, on huge pages.
  const int t = omp_get_max_threads();
  iaa::zeroed(time, f, t);
  iaa::zeroed(qpos, f * q, t);
  for (auto* a : {&qvel, &qacc, &qfrc_bias, &qfrc_gravity, &qfrc_passive, &qfrc_constraint,
                  &qfrc_applied, &qfrc_actuator})
    iaa::zeroed(*a, f * v, t);
  iaa::zeroed(ctrl, f * u, t);
  iaa::zeroed(actuator_force, f * u, t);
  iaa::zeroed(actuator_moment, f * u * v, t);
  iaa::zeroed(ncon, f, t);
  iaa::zeroed(site_pos, f * s3, t);
  iaa::zeroed(site_vel, f * s3, t);
  iaa::zeroed(site_acc, f * s3, t);
}

void gravity_force(Data& data, std::span<double> out) {
  const mjModel* m = data.model().get();
  mjData* d = data.get();
  if (static_cast<int>(out.size()) != m->nv)
    throw InputError("gravity_force: output has " + std::to_string(out.size()) + " values, nv is " +
                     std::to_string(m->nv));
  Restore restore(d);
  restore.save(d->qvel, static_cast<std::size_t>(m->nv));
  restore.save(d->cvel, static_cast<std::size_t>(6 * m->nbody));
  restore.save(d->cdof_dot, static_cast<std::size_t>(6 * m->nv));
  mju_zero(d->qvel, m->nv);
  mj_comVel(m, d);  // zero velocity: cvel = 0, cdof_dot = 0
  mj_rne(m, d, 0, out.data());
}

void site_accelerations(Data& data, std::span<const int> sites, std::span<double> out) {
  const mjModel* m = data.model().get();
  mjData* d = data.get();
  if (out.size() != 3 * sites.size())
    throw InputError("site_accelerations: output has " + std::to_string(out.size()) + " values, " +
                     std::to_string(sites.size()) + " sites need " +
                     std::to_string(3 * sites.size()));
  if (sites.empty()) return;
  Restore restore(d);
  const auto n6 = static_cast<std::size_t>(6 * m->nbody);
  restore.save(d->cacc, n6);
  restore.save(d->cfrc_int, n6);
  restore.save(d->cfrc_ext, n6);
  mj_rnePostConstraint(m, d);
  const bool gravity = !(m->opt.disableflags & mjDSBL_GRAVITY);
  for (std::size_t i = 0; i < sites.size(); ++i) {
    mjtNum res[6];
    mj_objectAcceleration(m, d, mjOBJ_SITE, sites[i], res, 0);
    for (int k = 0; k < 3; ++k) out[3 * i + k] = res[3 + k] + (gravity ? m->opt.gravity[k] : 0.0);
  }
}

void capture(Data& data, FullState& out, int64_t f) {
  const mjModel* m = data.model().get();
  mjData* d = data.get();
  if (out.nv != m->nv || out.nq != m->nq || out.nu != m->nu)
    throw InputError("capture: the FullState was sized for another model");
  if (f < 0 || f >= out.frames)
    throw InputError("capture: frame " + std::to_string(f) + " outside 0.." +
                     std::to_string(out.frames - 1));
  const int nv = m->nv, nu = m->nu;
  out.time[static_cast<std::size_t>(f)] = d->time;
  out.ncon[static_cast<std::size_t>(f)] = d->ncon;
  copy_row(out.qpos, f, m->nq, d->qpos);
  copy_row(out.qvel, f, nv, d->qvel);
  copy_row(out.qacc, f, nv, d->qacc);
  copy_row(out.ctrl, f, nu, d->ctrl);
  copy_row(out.actuator_force, f, nu, d->actuator_force);
  copy_row(out.actuator_moment, f, nu * nv, d->actuator_moment);
  copy_row(out.qfrc_bias, f, nv, d->qfrc_bias);
  copy_row(out.qfrc_passive, f, nv, d->qfrc_passive);
  copy_row(out.qfrc_constraint, f, nv, d->qfrc_constraint);
  copy_row(out.qfrc_actuator, f, nv, d->qfrc_actuator);
  copy_row(out.qfrc_applied, f, nv, d->qfrc_applied);
  {
    // xfrc_applied acts at each body's centre of mass, as mj_fwdAcceleration applies it.
    Restore restore(d);  // mj_applyFT uses the stack
    double* applied = out.qfrc_applied.data() + f * nv;
    for (int b = 1; b < m->nbody; ++b) {
      const double* x = d->xfrc_applied + 6 * b;
      if (std::any_of(x, x + 6, [](double v) { return v != 0; }))
        mj_applyFT(m, d, x, x + 3, d->xipos + 3 * b, b, applied);
    }
  }
  gravity_force(data, {out.qfrc_gravity.data() + f * nv, static_cast<std::size_t>(nv)});
  const std::size_t ns = out.sites.size();
  if (ns == 0) return;
  const std::vector<int>& ids = out.site_ids;
  for (std::size_t i = 0; i < ns; ++i) {
    const int id = ids[i];
    mjtNum vel[6];
    mj_objectVelocity(m, d, mjOBJ_SITE, id, vel, 0);
    for (int k = 0; k < 3; ++k) {
      out.site_pos[(f * ns + i) * 3 + k] = d->site_xpos[3 * id + k];
      out.site_vel[(f * ns + i) * 3 + k] = vel[3 + k];
    }
  }
  site_accelerations(data, ids, {out.site_acc.data() + f * ns * 3, ns * 3});
}

void mass_matrix(Data& data, const double* qpos, double* M) {
  const mjModel* m = data.model().get();
  mjData* d = data.get();
  mju_copy(d->qpos, qpos, m->nq);
  mj_kinematics(m, d);
  mj_comPos(m, d);
  mj_crb(m, d);
  mj_fullM(m, M, d->qM);
}

FullState get_full_state(Data& data, const StateBatch& s, const std::vector<std::string>& sites) {
  const mjModel* m = data.model().get();
  mjData* d = data.get();
  const int64_t n = s.frames;
  if (n < 0) throw InputError("get_full_state: frames must be >= 0");
  check_size(s.time, n, 1, "time");
  check_size(s.qpos, n, m->nq, "qpos");
  check_size(s.qvel, n, m->nv, "qvel");
  check_size(s.act, n, m->na, "act", m->na == 0);
  check_size(s.ctrl, n, m->nu, "ctrl");
  check_size(s.qfrc_applied, n, m->nv, "qfrc_applied", true);
  FullState out;
  out.resize(data.model(), sites, n);
  for (int64_t f = 0; f < n; ++f) {
    d->time = s.time[static_cast<std::size_t>(f)];
    mju_copy(d->qpos, s.qpos.data() + f * m->nq, m->nq);
    mju_copy(d->qvel, s.qvel.data() + f * m->nv, m->nv);
    if (m->na) mju_copy(d->act, s.act.data() + f * m->na, m->na);
    mju_copy(d->ctrl, s.ctrl.data() + f * m->nu, m->nu);
    if (s.qfrc_applied.empty())
      mju_zero(d->qfrc_applied, m->nv);
    else
      mju_copy(d->qfrc_applied, s.qfrc_applied.data() + f * m->nv, m->nv);
    mj_forward(m, d);
    capture(data, out, f);
  }
  return out;
}

}  // namespace swingpipe::engine
