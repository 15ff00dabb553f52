// Simulated golf swings (swing_sim.hpp): the PD swing controller, the kinematic-sequence channels
// and the batched, streaming simulation into the library.
#include "swingpipe/host/swing_sim.hpp"

#include <mujoco/mujoco.h>
#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <random>

#include "swingpipe/error.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/recorded_state.hpp"

namespace swingpipe::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// mt19937_64 with transforms of our own (the same values on every standard library).
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Irwin-Hall: mean 0, variance 1, bounded to (-6, 6).
  double normal() {
    double s = 0;
    for (int i = 0; i < 12; ++i) s += uniform();
    return s - 6;
  }
  uint64_t next() { return gen_(); }

 private:
  std::mt19937_64 gen_;
};

uint64_t mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// ---- the reference motion ------------------------------------------------------------------

/// Phases of the proximal-to-distal downswing: pelvis, thorax, arms, wrists.
constexpr std::array<double, 4> kDownDuration = {0.42, 0.34, 0.30, 0.21};  // s at tempo 1

/// A joint that moves: backswing to `top`, then a downswing that passes `impact` (rad, offsets
/// from address) at impact and ends at the finish that this implies.
struct Move {
  const char* joint;
  double top, impact;
  int phase;
};
constexpr Move kMoves[] = {
    {"pelvis_rot", -0.75, 0.55, 0},  // the hinge of the upper body, or the free pelvis's yaw
    {"thorax_rot", -1.10, -0.10, 1},    {"thorax_bend", 0.05, -0.15, 1},
    {"lead_shoulder", -1.70, -0.20, 2}, {"lead_elbow", 0.05, 0.02, 3},
    {"lead_wrist", -1.50, -0.05, 3},
};

/// Minimum-jerk blend s(tau) on [0, 1] and its first two derivatives in tau.
void min_jerk(double tau, double& s, double& ds, double& dds) {
  if (tau <= 0) {
    s = ds = dds = 0;
    return;
  }
  if (tau >= 1) {
    s = 1;
    ds = dds = 0;
    return;
  }
  const double t2 = tau * tau, t3 = t2 * tau;
  s = t3 * (10 - 15 * tau + 6 * t2);
  ds = 30 * t2 * (1 - 2 * tau + t2);
  dds = 60 * tau * (1 - 3 * tau + 2 * t2);
}

struct NoiseBump {
  double centre, half_width, amp;
};

/// How the controller drives one actuated joint.
struct JointPlan {
  int qpos = 0, dof = 0, actuator = 0;
  double gear = 1, lo = 0, hi = 0;
  double wn = 40, wd = 40;  ///< computed-torque stiffness and damping bandwidths (rad/s)
  double kp = 0, kd = 0;    ///< fixed PD gains (N m/rad, N m s/rad): the stance legs
  bool moves = false;
  double top = 0, finish = 0;
  double back_start = 0, back_len = 1, down_start = 0, down_len = 1;
  std::vector<NoiseBump> noise;

  void reference(double t, double& q, double& qd, double& qdd) const {
    q = qd = qdd = 0;
    if (!moves) return;
    double s, ds, dds;
    if (t < down_start) {
      min_jerk((t - back_start) / back_len, s, ds, dds);
      q = top * s;
      qd = top * ds / back_len;
      qdd = top * dds / (back_len * back_len);
      return;
    }
    min_jerk((t - down_start) / down_len, s, ds, dds);
    const double d = finish - top;
    q = top + d * s;
    qd = d * ds / down_len;
    qdd = d * dds / (down_len * down_len);
  }

  double noise_torque(double t) const {
    double tau = 0;
    for (const auto& b : noise) {
      const double x = (t - b.centre) / b.half_width;
      if (x <= -1 || x >= 1) continue;
      const double q = 1 - x * x;
      tau += b.amp * q * q * q * q;
    }
    return tau;
  }
};

/// Gives `jp` the backswing and downswing of `mv`.
void set_move(JointPlan& jp, const Move& mv, const SwingParams& p) {
  const double t_impact = p.impact_time();
  jp.moves = true;
  jp.top = mv.top * p.amplitude;
  jp.down_len = kDownDuration[static_cast<std::size_t>(mv.phase)] * p.tempo;
  const double centre = t_impact - p.leads[static_cast<std::size_t>(mv.phase)] * p.tempo;
  jp.down_start = centre - jp.down_len / 2;
  // The finish that puts the joint at its impact angle at impact.
  double s_impact, ds, dds;
  min_jerk((t_impact - jp.down_start) / jp.down_len, s_impact, ds, dds);
  jp.finish = jp.top + (mv.impact - jp.top) / s_impact;
  jp.back_start = p.address_time;
  jp.back_len = std::max(0.1, jp.down_start - jp.back_start);
}

/// The controller's plan. A golfer whose pelvis is free (standing on its feet) is kept in balance
/// by residual forces on the pelvis, as OpenSim's residual actuators do: a PD on the pelvis
/// position (address) and orientation (upright, turning with the reference yaw) plus the
/// computed-torque yaw torque, applied as qfrc_applied on the free joint (so they are recorded,
/// and the induced accelerations show them as the `applied` contributor). The legs hold their
/// posture and the hip rotators keep each leg still in the world while the pelvis turns above.
struct Plan {
  std::vector<JointPlan> joints;
  bool floating = false;
  int root_qpos = 0, root_dof = 0;
  double root_pos[3] = {0, 0, 0};                  ///< pelvis position at address
  JointPlan root_yaw;                              ///< reference of the pelvis yaw
  std::vector<std::pair<std::size_t, int>> turns;  ///< (index in joints, joint id): hip rotators
};

/// Residual gains on the free pelvis: translation (N/m, N s/m) and rotation (N m/rad, N m s/rad).
constexpr double kResidualKp = 3e4, kResidualKd = 2e3, kResidualRotKp = 3e3, kResidualRotKd = 3e2;

Plan make_plans(const engine::Model& model, const SwingParams& p) {
  const mjModel* m = model.get();
  Rng rng(p.noise_seed);
  Plan plan;
  std::vector<JointPlan>& plans = plan.joints;
  const int pelvis = mj_name2id(m, mjOBJ_BODY, "pelvis");
  if (pelvis > 0 && m->body_jntnum[pelvis] == 1 &&
      m->jnt_type[m->body_jntadr[pelvis]] == mjJNT_FREE) {
    plan.floating = true;
    plan.root_qpos = m->jnt_qposadr[m->body_jntadr[pelvis]];
    plan.root_dof = m->jnt_dofadr[m->body_jntadr[pelvis]];
    for (int k = 0; k < 3; ++k) plan.root_pos[k] = m->qpos0[plan.root_qpos + k];
    plan.root_yaw.wn = plan.root_yaw.wd = 20;
    for (const auto& mv : kMoves)
      if (std::string(mv.joint) == "pelvis_rot") set_move(plan.root_yaw, mv, p);
  }
  for (int i = 0; i < m->nu; ++i) {
    const std::string& name = model.actuator_names()[static_cast<std::size_t>(i)];
    if (m->actuator_trntype[i] != mjTRN_JOINT)
      throw InputError("simulate: actuator '" + name + "' of " + model.path().string() +
                       " does not drive a joint (the swing controller needs joint motors)");
    const int j = m->actuator_trnid[2 * i];
    if (m->jnt_type[j] != mjJNT_HINGE && m->jnt_type[j] != mjJNT_SLIDE)
      throw InputError("simulate: actuator '" + name + "' drives a ball or free joint");
    if (m->actuator_dyntype[i] != mjDYN_NONE || m->actuator_gaintype[i] != mjGAIN_FIXED ||
        m->actuator_biastype[i] != mjBIAS_NONE || m->actuator_gainprm[mjNGAIN * i] != 1)
      throw InputError("simulate: actuator '" + name + "' is not a motor (gain 1, no bias)");
    JointPlan jp;
    jp.qpos = m->jnt_qposadr[j];
    jp.dof = m->jnt_dofadr[j];
    jp.actuator = i;
    jp.gear = m->actuator_gear[6 * i];
    jp.lo = m->actuator_ctrllimited[i] ? m->actuator_ctrlrange[2 * i] : -mjMAXVAL;
    jp.hi = m->actuator_ctrllimited[i] ? m->actuator_ctrlrange[2 * i + 1] : mjMAXVAL;
    const char* jname = mj_id2name(m, mjOBJ_JOINT, j);
    const std::string joint = jname ? jname : "";
    const bool leg = joint.find("_hip_") != std::string::npos ||
                     joint.find("_knee") != std::string::npos ||
                     joint.find("_ankle") != std::string::npos;
    if (leg) {
      // The legs carry the whole body through the feet; their tree inertia (the leg alone) says
      // nothing about that load, so they get fixed gains.
      // Hip rotation, which turns the pelvis over the planted feet, is stiff; the joints that
      // let the hips orbit the pelvis centre (hip and knee flexion, the ankle) give a little.
      const bool turn = joint.find("_hip_rot") != std::string::npos;
      const bool twist = joint.find("_ankle_rot") != std::string::npos;
      const bool ankle = !twist && joint.find("_ankle") != std::string::npos;
      jp.kp = turn || twist ? 3000 : ankle ? 2000 : 1000;
      jp.kd = turn || twist ? 100 : ankle ? 80 : 60;
    } else if (joint.rfind("trail_", 0) == 0) {
      // The trail arm follows the club it holds (the closed loop decides its pose): damping and a
      // weak pull toward address, no reference of its own to fight the lead arm with.
      jp.wn = 2;
      jp.wd = 10;
    }
    for (const auto& mv : kMoves)
      if (joint == mv.joint) set_move(jp, mv, p);
    if (plan.floating && joint.find("_hip_rot") != std::string::npos)
      plan.turns.emplace_back(plans.size(), j);
    const double limit = std::min(std::abs(jp.lo), std::abs(jp.hi));
    const double duration = p.duration();
    for (int b = 0; b < 6; ++b) {
      const double centre = rng.uniform(0.0, duration);
      const double hw = rng.uniform(0.05, 0.15);
      const double amp =
          std::isfinite(limit) && limit < mjMAXVAL ? p.noise * limit * rng.normal() : 0.0;
      jp.noise.push_back({centre, hw, amp});
    }
    plans.push_back(std::move(jp));
  }
  return plan;
}

/// Sets ctrl from the position and velocity stages already computed in `d`: computed torque,
/// tau = M(q) a + bias with a = qdd_ref + wn^2 e + 2 wd e' on the actuated dofs (the full M, so
/// the coupled joints of the trunk and arms do not fight each other), plus fixed-gain PD on the
/// legs, whose load comes through the feet, the pelvis turn (Plan) and the torque noise.
/// acc, macc: nv scratch.
void control(const mjModel* m, mjData* d, const Plan& plan, std::vector<double>& acc,
             std::vector<double>& macc) {
  const double t = d->time;
  const auto& plans = plan.joints;
  std::fill(acc.begin(), acc.end(), 0.0);
  // Free pelvis: its yaw about the world vertical, the rate (the free joint's angular velocity
  // is in the pelvis frame) and the yaw acceleration wanted.
  mjtNum R[9];
  double yaw = 0, yaw_rate = 0, alpha = 0;
  if (plan.floating) {
    mju_quat2Mat(R, d->qpos + plan.root_qpos + 3);
    yaw = std::atan2(R[3], R[0]);
    mjtNum w[3];
    mju_rotVecMat(w, d->qvel + plan.root_dof + 3, R);
    yaw_rate = w[2];
    double qr, qdr, qddr;
    plan.root_yaw.reference(t, qr, qdr, qddr);
    const double wn = plan.root_yaw.wn;
    alpha = qddr + wn * wn * (qr - yaw) + 2 * wn * (qdr - yaw_rate);
    const mjtNum world[3] = {0, 0, alpha};
    mjtNum local[3];
    mju_rotVecMatT(local, world, R);
    for (int k = 0; k < 3; ++k) acc[static_cast<std::size_t>(plan.root_dof + 3 + k)] = local[k];
  }
  std::vector<double> pd(plans.size());
  std::vector<char> turn(plans.size(), 0);
  for (const auto& [i, j] : plan.turns) turn[i] = 1;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const JointPlan& jp = plans[i];
    double qr, qdr, qddr;
    if (turn[i]) {  // keep the leg still in the world while the pelvis turns above it
      qr = -yaw;
      qdr = -yaw_rate;
      qddr = -alpha;
    } else {
      jp.reference(t, qr, qdr, qddr);
    }
    const double e = qr - d->qpos[jp.qpos], ed = qdr - d->qvel[jp.dof];
    if (jp.kp > 0) {
      acc[static_cast<std::size_t>(jp.dof)] = qddr;
      pd[i] = jp.kp * e + jp.kd * ed;
    } else {
      acc[static_cast<std::size_t>(jp.dof)] = qddr + jp.wn * jp.wn * e + 2 * jp.wd * ed;
      pd[i] = 0;
    }
  }
  mj_mulM(m, d, macc.data(), acc.data());
  if (plan.floating) {
    // Residual forces on the pelvis: the computed-torque torque about the vertical for the yaw
    // acceleration wanted, plus a PD on position and orientation (the desired orientation is
    // upright, turned by the reference yaw).
    mjtNum q[3], tz[3];
    for (int k = 0; k < 3; ++k)
      q[k] = macc[static_cast<std::size_t>(plan.root_dof + 3 + k)] +
             d->qfrc_bias[plan.root_dof + 3 + k];
    mju_rotVecMat(tz, q, R);
    double yr, ydr, yddr;
    plan.root_yaw.reference(t, yr, ydr, yddr);
    mjtNum want[4], axis[3] = {0, 0, 1}, err[3];
    mju_axisAngle2Quat(want, axis, yr);
    mju_subQuat(err, want, d->qpos + plan.root_qpos + 3);  // in the pelvis frame
    mjtNum err_world[3], w[3];
    mju_rotVecMat(err_world, err, R);
    mju_rotVecMat(w, d->qvel + plan.root_dof + 3, R);
    mjtNum torque[3], local[3];
    for (int k = 0; k < 3; ++k)
      torque[k] = kResidualRotKp * err_world[k] - kResidualRotKd * (w[k] - (k == 2 ? ydr : 0.0)) +
                  (k == 2 ? tz[2] : 0.0);
    mju_rotVecMatT(local, torque, R);
    for (int k = 0; k < 3; ++k) {
      d->qfrc_applied[plan.root_dof + k] =
          kResidualKp * (plan.root_pos[k] - d->qpos[plan.root_qpos + k]) -
          kResidualKd * d->qvel[plan.root_dof + k];
      d->qfrc_applied[plan.root_dof + 3 + k] = local[k];
    }
  }
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const JointPlan& jp = plans[i];
    const double tau =
        macc[static_cast<std::size_t>(jp.dof)] + pd[i] + d->qfrc_bias[jp.dof] + jp.noise_torque(t);
    d->ctrl[jp.actuator] = std::clamp(tau / jp.gear, jp.lo, jp.hi);
  }
}

// ---- kinematic-sequence channels ----------------------------------------------------------

using Vec3 = std::array<double, 3>;
double dot(const Vec3& a, const Vec3& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
Vec3 unit(const Vec3& a) {
  const double n = std::sqrt(dot(a, a));
  return {a[0] / n, a[1] / n, a[2] / n};
}

class Kinematics {
 public:
  explicit Kinematics(const engine::Model& model)
      : pelvis_(model.body("pelvis")),
        thorax_(model.body("thorax")),
        upper_(model.body("lead_upperarm")),
        club_(model.body("club")),
        head_(model.site("club_head")) {
    const mjModel* m = model.get();
    const int elbow = model.joint("lead_elbow"), wrist = model.joint("lead_wrist");
    for (int j : {elbow, wrist})
      if (m->jnt_type[j] != mjJNT_HINGE)
        throw InputError("simulate: joint '" + std::string(mj_id2name(m, mjOBJ_JOINT, j)) +
                         "' of " + model.path().string() + " must be a hinge");
    joint_qpos_ = {m->jnt_qposadr[elbow], m->jnt_qposadr[wrist]};
    joint_dof_ = {m->jnt_dofadr[elbow], m->jnt_dofadr[wrist]};
  }

  /// Rates of kSequenceChannels for the current mjData, and the angles of the two joints
  /// (angle[3], angle[4]; the others are integrated by the caller).
  void measure(const mjModel* m, const mjData* d, std::array<double, 6>& angle,
               std::array<double, 6>& rate) {
    if (!init_) {
      const double* h = d->site_xpos + 3 * head_;
      const double* c = d->xpos + 3 * club_;
      const Vec3 s = unit({h[0] - c[0], h[1] - c[1], h[2] - c[2]});
      n_ = unit(cross(s, {0, 1, 0}));
      init_ = true;
    }
    const int bodies[4] = {pelvis_, thorax_, upper_, club_};
    const std::size_t slots[4] = {0, 1, 2, 5};
    for (int k = 0; k < 4; ++k) {
      mjtNum res[6];
      mj_objectVelocity(m, d, mjOBJ_XBODY, bodies[k], res, 0);
      const Vec3 w{res[0], res[1], res[2]};
      rate[slots[k]] = k < 2 ? w[2] : dot(w, n_);
    }
    for (std::size_t k = 0; k < 2; ++k) {
      angle[3 + k] = d->qpos[joint_qpos_[k]];
      rate[3 + k] = d->qvel[joint_dof_[k]];
    }
  }

 private:
  int pelvis_, thorax_, upper_, club_, head_;
  std::array<int, 2> joint_qpos_{}, joint_dof_{};
  bool init_ = false;
  Vec3 n_{};
};

void check_finite(const mjModel* m, const mjData* d, const std::string& what) {
  for (int i = 0; i < m->nv; ++i)
    if (!std::isfinite(d->qacc[i]) || std::abs(d->qacc[i]) > 1e10)
      throw Error("simulate: " + what + " diverged at t = " + std::to_string(d->time) +
                  " s (qacc of dof " + std::to_string(i) + " is " + std::to_string(d->qacc[i]) +
                  ")");
}

std::string format_date(int64_t day_offset) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{year{2026} / January / 5} + days{day_offset % 180}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string swing_filename(const engine::Model& model, uint64_t seed, int64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "swing_%06lld", static_cast<long long>(index));
  return "sim/" + model.name() + "/seed" + std::to_string(seed) + "/" + buf;
}

}  // namespace

double SwingParams::impact_time() const {
  return address_time + backswing_time + (kDownDuration[2] / 2 + leads[2]) * tempo;
}

SwingParams draw_params(uint64_t seed, int64_t index) {
  Rng rng(mix(seed ^ mix(static_cast<uint64_t>(index) + 0x632be59bd9b4e019ULL)));
  SwingParams p;
  p.address_time = rng.uniform(0.12, 0.20);
  p.backswing_time = rng.uniform(0.70, 0.90);
  p.tempo = rng.uniform(0.95, 1.08);
  p.amplitude = rng.uniform(0.92, 1.02);
  const std::array<double, 4> base = p.leads;
  for (std::size_t k = 0; k < 3; ++k) p.leads[k] = base[k] * rng.uniform(0.92, 1.08);
  p.leads[3] = rng.uniform(-0.004, 0.004);
  p.noise = rng.uniform(0.005, 0.015);
  p.noise_seed = rng.next();
  return p;
}

const std::vector<std::string>& recorded_sites() {
  static const std::vector<std::string> sites{"club_head"};
  return sites;
}

namespace {

/// Model steps per recorded frame; InputError unless `sample_rate` divides the step rate.
int64_t decimation_of(const engine::Model& model, double sample_rate) {
  const double dt = model.get()->opt.timestep;
  if (!(sample_rate > 0) || !std::isfinite(sample_rate))
    throw InputError("simulate: sample rate must be a number > 0, got " +
                     std::to_string(sample_rate));
  const double ratio = 1.0 / (sample_rate * dt);
  const auto decimation = static_cast<int64_t>(std::llround(ratio));
  if (decimation < 1 || std::abs(ratio - static_cast<double>(decimation)) > 1e-9)
    throw InputError("simulate: sample rate " + std::to_string(sample_rate) +
                     " Hz does not divide the model's step rate " + std::to_string(1 / dt) +
                     " Hz (" + model.path().string() + ")");
  return decimation;
}

}  // namespace

Recording simulate_swing(const std::shared_ptr<const engine::Model>& model, const SwingParams& p,
                         double sample_rate) {
  const mjModel* m = model->get();
  const double dt = m->opt.timestep;
  const int64_t decimation = decimation_of(*model, sample_rate);
  Kinematics kin(*model);
  const Plan plans = make_plans(*model, p);
  const auto steps = static_cast<int64_t>(std::floor(p.duration() / dt + 1e-9));
  const int64_t frames = steps / decimation + 1;

  engine::Data data(model);
  mjData* d = data.get();
  engine::FullState fs;
  fs.resize(*model, recorded_sites(), frames);
  std::array<std::vector<double>, 6> angle, rate;
  for (auto& a : angle) a.resize(static_cast<std::size_t>(frames));
  for (auto& r : rate) r.resize(static_cast<std::size_t>(frames));
  std::array<double, 6> th{}, thd{}, th0{};
  std::vector<double> acc(static_cast<std::size_t>(m->nv)), macc(static_cast<std::size_t>(m->nv));
  const double frame_dt = 1.0 / sample_rate;
  const std::string what = "swing on " + model->name();
  for (int64_t step = 0, frame = 0; frame < frames; ++step) {
    mj_fwdPosition(m, d);
    mj_fwdVelocity(m, d);
    control(m, d, plans, acc, macc);
    mj_forwardSkip(m, d, mjSTAGE_VEL, 0);
    check_finite(m, d, what);
    if (step % decimation == 0) {
      engine::capture(data, fs, frame);
      kin.measure(m, d, th, thd);
      const auto f = static_cast<std::size_t>(frame);
      for (std::size_t k = 0; k < 6; ++k) {
        rate[k][f] = thd[k];
        if (k == 3 || k == 4) {  // joints: angle from address
          if (frame == 0) th0[k] = th[k];
          angle[k][f] = th[k] - th0[k];
        } else {  // segments: trapezoidal integral of the rate
          angle[k][f] =
              frame == 0 ? 0.0 : angle[k][f - 1] + 0.5 * (rate[k][f - 1] + thd[k]) * frame_dt;
        }
      }
      ++frame;
    }
    if (frame < frames) mj_Euler(m, d);
  }

  Recording rec;
  rec.sample_rate = sample_rate;
  engine::append_full_state(*model, fs, rec);
  for (std::size_t k = 0; k < 6; ++k) {
    rec.channels.emplace_back(kSequenceChannels[k]);
    rec.data.insert(rec.data.end(), angle[k].begin(), angle[k].end());
  }
  for (std::size_t k = 0; k < 6; ++k) {
    rec.channels.push_back(std::string(kSequenceChannels[k]) + "_vel");
    rec.data.insert(rec.data.end(), rate[k].begin(), rate[k].end());
  }
  double peak = 0;
  for (int64_t f = 0; f < frames; ++f) {
    const double* v = fs.site_vel.data() + f * 3;
    peak = std::max(peak, std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]));
  }
  RecordingMeta& meta = rec.meta;
  meta.model_name = model->name();
  meta.tags = {"simulated", "model:" + model->name(), engine::model_sha256_tag(*model)};
  meta.club_type = "driver";
  meta.swing_type = "full";
  meta.duration = static_cast<double>(frames - 1) / sample_rate;
  meta.peak_club_speed = peak;
  char notes[256];
  std::snprintf(notes, sizeof notes,
                "MuJoCo %s simulation of %s: tempo %.3f, amplitude %.3f, leads %.3f/%.3f/%.3f/"
                "%.3f s, noise %.4f",
                mj_versionString(), model->path().filename().c_str(), p.tempo, p.amplitude,
                p.leads[0], p.leads[1], p.leads[2], p.leads[3], p.noise);
  meta.notes = notes;
  return rec;
}

int64_t impact_frame(const Recording& rec) {
  int c[3] = {-1, -1, -1}, club = -1;
  for (int i = 0; i < rec.channel_count(); ++i) {
    const std::string& name = rec.channels[static_cast<std::size_t>(i)];
    for (int k = 0; k < 3; ++k)
      if (name == "site_pos:club_head[" + std::to_string(k) + "]") c[k] = i;
    if (name == "club") club = i;
  }
  if (c[0] < 0 || c[1] < 0 || c[2] < 0 || rec.frames() == 0) return -1;
  const int64_t n = rec.frames();
  auto dist = [&](int64_t f) {
    double s = 0;
    for (int k = 0; k < 3; ++k) {
      const double e = rec.channel(c[k])[f] - rec.channel(c[k])[0];
      s += e * e;
    }
    return s;
  };
  int64_t top = 0;
  if (club >= 0) {
    const double* a = rec.channel(club);
    for (int64_t f = 1; f < n; ++f)
      if (a[f] < a[top]) top = f;
  } else {
    for (int64_t f = 1; f < n; ++f)
      if (dist(f) > dist(top)) top = f;
  }
  int64_t best = top;
  for (int64_t f = top + 1; f < n; ++f) {
    if (club >= 0 && rec.channel(club)[f] > kPi / 2) break;
    if (dist(f) < dist(best)) best = f;
  }
  return best;
}

std::shared_ptr<const engine::Model> check_options(const SimulateOptions& opt) {
  if (opt.count < 0)
    throw InputError("simulate: count must be >= 0, got " + std::to_string(opt.count));
  if (opt.threads < 0)
    throw InputError("simulate: threads must be >= 0, got " + std::to_string(opt.threads));
  if (opt.batch_size < 0)
    throw InputError("simulate: batch size must be >= 0, got " + std::to_string(opt.batch_size));
  engine::LoadOptions lo;
  lo.tolerance = opt.tolerance;
  auto model = engine::Model::load(opt.model, lo);
  { Kinematics check(*model); }                  // InputError naming a missing golfer body or site
  make_plans(*model, draw_params(opt.seed, 0));  // InputError for actuators it cannot drive
  decimation_of(*model, opt.sample_rate);
  return model;
}

SimulateSummary simulate_to_library(RecordingLibrary& library, const SimulateOptions& opt,
                                    const std::function<void(int64_t)>& progress,
                                    const std::function<bool()>& stop_requested) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto model = check_options(opt);
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  const int64_t batch = opt.batch_size > 0 ? opt.batch_size : std::max<int64_t>(4, 2 * threads);
  const std::string tag = engine::model_sha256_tag(*model);

  SimulateSummary sum;
  sum.model = model->path().string();
  sum.model_sha256 = model->sha256();
  sum.min_impact_speed = std::numeric_limits<double>::infinity();
  sum.max_impact_speed = 0;
  for (int64_t start = 0; start < opt.count; start += batch) {
    const int64_t end = std::min(opt.count, start + batch);
    std::vector<int64_t> todo;
    for (int64_t i = start; i < end; ++i) {
      const std::string name = swing_filename(*model, opt.seed, i);
      if (auto id = library.find_by_filename(name)) {
        const auto meta = library.get_meta(*id);
        if (std::find(meta.tags.begin(), meta.tags.end(), tag) == meta.tags.end())
          throw InputError("simulate: '" + name + "' (recording " + std::to_string(*id) +
                           ") is in the library but was not simulated with " +
                           model->path().string() + " (sha256 " + model->sha256() + ")");
        ++sum.skipped;
      } else {
        todo.push_back(i);
      }
    }
    std::vector<Recording> recs(todo.size());
    std::vector<std::exception_ptr> errors(todo.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::size_t k = 0; k < todo.size(); ++k) {
      try {
        const int64_t i = todo[k];
        recs[k] = simulate_swing(model, draw_params(opt.seed, i), opt.sample_rate);
        RecordingMeta& meta = recs[k].meta;
        meta.filename = swing_filename(*model, opt.seed, i);
        meta.golfer_name = "simulated " + model->name();
        meta.date_recorded = format_date(i);
        meta.notes += " (seed " + std::to_string(opt.seed) + ", swing " + std::to_string(i) + ")";
      } catch (...) {
        errors[k] = std::current_exception();
      }
    }
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    for (const auto& r : recs) {
      const int64_t f = impact_frame(r);
      int c = -1;
      for (int i = 0; i < r.channel_count(); ++i)
        if (r.channels[static_cast<std::size_t>(i)] == "site_vel:club_head[0]") c = i;
      if (f < 0 || c < 0) continue;
      double s = 0;
      for (int k = 0; k < 3; ++k) s += r.channel(c + k)[f] * r.channel(c + k)[f];
      sum.min_impact_speed = std::min(sum.min_impact_speed, std::sqrt(s));
      sum.max_impact_speed = std::max(sum.max_impact_speed, std::sqrt(s));
    }
    if (!recs.empty()) {
      const auto ids = library.add_all(recs);  // one transaction per batch
      if (sum.first_id == 0) sum.first_id = ids.front();
      sum.last_id = ids.back();
      sum.count += static_cast<int64_t>(ids.size());
    }
    recs.clear();
    recs.shrink_to_fit();
    sum.handled = end;
    if (progress) progress(end);
    if (end < opt.count && stop_requested && stop_requested()) {
      sum.stopped = true;
      break;
    }
  }
  if (sum.count == 0) sum.min_impact_speed = 0;
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace swingpipe::sim
