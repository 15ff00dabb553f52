// Induced accelerations (kernels/induced_accel.hpp, host/induced_accel_engine.hpp) on simulated
// swings of every golfer model, contacts included: closure on every frame, contributions against
// MuJoCo's own mj_solveM, task space against MuJoCo's site accelerations, the tree path against
// the MuJoCo path, counterfactuals, edges and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>

#include "../engine/engine_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/induced_accel_engine.hpp"
#include "swingpipe/host/recorded_state.hpp"
#include "swingpipe/host/swing_sim.hpp"

namespace swingpipe {
namespace {

struct Swing {
  std::shared_ptr<const engine::Model> model;
  Recording rec;
  engine::FullState state;
};

/// One simulated swing per model, made once for all tests of this file.
const Swing& swing(const std::string& which) {
  static std::map<std::string, Swing> cache;
  auto it = cache.find(which);
  if (it != cache.end()) return it->second;
  Swing s;
  s.model = engine::Model::load(test::golfer_model(which));
  s.rec = sim::simulate_swing(s.model, sim::draw_params(2026, 1), 500);
  s.state = engine::read_full_state(*s.model, s.rec);
  return cache.emplace(which, std::move(s)).first->second;
}

iaa::Options options(bool per_actuator, std::vector<std::string> sites = {"club_head"},
                     iaa::MassSource source = iaa::MassSource::tree) {
  iaa::Options o;
  o.per_actuator = per_actuator;
  o.sites = std::move(sites);
  o.mass_source = source;
  return o;
}

/// Both sources of M(q) of the CPU path: the tree math (default) and MuJoCo's position stages.
constexpr iaa::MassSource kSources[] = {iaa::MassSource::tree, iaa::MassSource::mujoco};
std::string name_of(iaa::MassSource s) {
  return s == iaa::MassSource::tree ? "tree" : "mujoco";
}

TEST(InducedAccel, ClosureOnEveryFrameOfEveryModel) {
  for (const auto& which : test::golfer_models())
    for (const auto source : kSources) {
      SCOPED_TRACE(which + " " + name_of(source));
      const Swing& s = swing(which);
      const auto r =
          engine::induced_accelerations(s.model, s.state, options(false, {"club_head"}, source));
      ASSERT_EQ(r.frames, s.rec.frames());
      ASSERT_EQ(r.contributors, iaa::kBaseContributors);
      double contact_frames = 0;
      for (int64_t f = 0; f < r.frames; ++f) {
        EXPECT_LE(r.closure[static_cast<std::size_t>(f)], 1e-8) << "frame " << f;
        contact_frames += s.state.ncon[static_cast<std::size_t>(f)] > 0;
      }
      // Standing golfers touch the ground from the first step on (frame 0 is the exact touch).
      if (which != "upper") {
        EXPECT_GE(contact_frames, static_cast<double>(r.frames - 2));
      }
      // Closure recomputed here from the contributions, not from r.closure.
      const int nv = r.nv;
      for (int64_t f = 0; f < r.frames; f += 37) {
        for (int i = 0; i < nv; ++i) {
          double sum = 0, scale = 1e-12;
          for (int c = 0; c < 6; ++c) {
            const double x = r.joint[static_cast<std::size_t>((f * 6 + c) * nv + i)];
            sum += x;
            scale = std::max(scale, std::abs(x));
          }
          const double q = s.state.qacc[static_cast<std::size_t>(f * nv + i)];
          EXPECT_LE(std::abs(sum - q), 1e-8 * std::max(scale, std::abs(q)));
        }
      }
    }
}

TEST(InducedAccel, ContributionsEqualMuJoCosSolveM) {
  for (const auto& which : test::golfer_models())
    for (const auto source : kSources) {
      SCOPED_TRACE(which + " " + name_of(source));
      const Swing& s = swing(which);
      const auto r = engine::induced_accelerations(s.model, s.state, options(true, {}, source));
      const mjModel* m = s.model->get();
      const int nv = m->nv, k = r.contributors;
      ASSERT_EQ(k, 6 + m->nu);
      engine::Data data(s.model);
      mjData* d = data.get();
      std::vector<double> F(static_cast<std::size_t>(nv)), X(static_cast<std::size_t>(nv));
      for (int64_t f = 0; f < r.frames; f += 53) {
        mju_copy(d->qpos, s.state.qpos.data() + f * m->nq, m->nq);
        mj_kinematics(m, d);
        mj_comPos(m, d);
        mj_crb(m, d);
        mj_factorM(m, d);
        const auto row = [&](const std::vector<double>& v) { return v.data() + f * nv; };
        for (int c = 0; c < k; ++c) {
          for (int i = 0; i < nv; ++i) {
            const auto I = static_cast<std::size_t>(i);
            switch (c) {
              case 0:
                F[I] = -row(s.state.qfrc_gravity)[i];
                break;
              case 1:
                F[I] = -(row(s.state.qfrc_bias)[i] - row(s.state.qfrc_gravity)[i]);
                break;
              case 2:
                F[I] = row(s.state.qfrc_passive)[i];
                break;
              case 3:
                F[I] = row(s.state.qfrc_constraint)[i];
                break;
              case 4:
                F[I] = row(s.state.qfrc_applied)[i];
                break;
              case 5:
                F[I] = row(s.state.qfrc_actuator)[i];
                break;
              default: {
                const int a = c - 6;
                F[I] = s.state.actuator_moment[static_cast<std::size_t>((f * m->nu + a) * nv + i)] *
                       s.state.actuator_force[static_cast<std::size_t>(f * m->nu + a)];
              }
            }
          }
          mj_solveM(m, d, X.data(), F.data(), 1);
          const double* got = r.joint.data() + (f * k + c) * nv;
          EXPECT_LT(test::rel_diff(got, X.data(), X.size(), 1e-9), 1e-10) << "contributor " << c;
        }
        // The actuators add up to the control row.
        for (int i = 0; i < nv; ++i) {
          double sum = 0;
          for (int a = 0; a < m->nu; ++a)
            sum += r.joint[static_cast<std::size_t>((f * k + 6 + a) * nv + i)];
          const double control = r.joint[static_cast<std::size_t>((f * k + 5) * nv + i)];
          EXPECT_NEAR(sum, control, 1e-9 * (1 + std::abs(control)));
        }
      }
    }
}

TEST(InducedAccel, SiteRowsSumToTheRecordedSiteAcceleration) {
  for (const auto& which : test::golfer_models())
    for (const auto source : kSources) {
      SCOPED_TRACE(which + " " + name_of(source));
      const Swing& s = swing(which);
      const auto r =
          engine::induced_accelerations(s.model, s.state, options(false, {"club_head"}, source));
      for (int64_t f = 0; f < r.frames; ++f) {
        const double* want = s.state.site_acc.data() + f * 3;
        double sum[3] = {0, 0, 0}, scale = 1;
        for (int c = 0; c < 6; ++c)
          for (int e = 0; e < 3; ++e) {
            const double a = r.site[static_cast<std::size_t>((f * 6 + c) * 3 + e)];
            sum[e] += a;
            scale = std::max(scale, std::abs(a));
          }
        for (int e = 0; e < 3; ++e)
          ASSERT_LE(std::abs(sum[e] - want[e]), 1e-8 * scale) << "frame " << f << " axis " << e;
      }
    }
}

TEST(InducedAccel, TreePathAgreesWithTheMuJoCoPath) {
  for (const auto& which : test::golfer_models()) {
    SCOPED_TRACE(which);
    const Swing& s = swing(which);
    const auto opt = options(true, {"club_head"}, iaa::MassSource::mujoco);
    const auto cpu = engine::induced_accelerations(s.model, s.state, opt);
    // The default source (the tree math, recorded G) against MuJoCo's.
    const auto dflt = engine::induced_accelerations(s.model, s.state, options(true));
    EXPECT_LT(test::rel_diff(dflt.joint.data(), cpu.joint.data(), cpu.joint.size()), 1e-9);
    EXPECT_LT(test::rel_diff(dflt.site.data(), cpu.site.data(), cpu.site.size()), 1e-9);
    std::vector<double> moments;
    const auto batch = engine::frame_batch(s.state, moments);
    const auto tree = iaa::compute_tree_cpu(engine::export_tree(*s.model, opt.sites), batch, opt);
    ASSERT_EQ(tree.joint.size(), cpu.joint.size());
    // The tree path computes G(q) itself; it agrees with the recorded one to rounding.
    EXPECT_LT(test::rel_diff(tree.joint.data(), cpu.joint.data(), cpu.joint.size()), 1e-9);
    EXPECT_LT(test::rel_diff(tree.site.data(), cpu.site.data(), cpu.site.size()), 1e-9);
    EXPECT_LT(test::rel_diff(tree.site_bias.data(), cpu.site_bias.data(), cpu.site_bias.size()),
              1e-9);
    EXPECT_LE(tree.max_closure(), 1e-8);
  }
}

TEST(InducedAccel, GravityAndVelocityArePhysical) {
  // At address (frame 0) the golfer stands still: the velocity row is zero and the gravity row
  // pulls the club head down.
  const Swing& s = swing("upper");
  const auto r = engine::induced_accelerations(s.model, s.state, options(false));
  for (int i = 0; i < r.nv; ++i) EXPECT_EQ(r.joint[static_cast<std::size_t>(r.nv + i)], 0.0);
  EXPECT_LT(r.site[2], 0.0) << "gravity's club-head z acceleration at address";
}

TEST(InducedAccel, ThreadCountDoesNotChangeTheResult) {
  const Swing& s = swing("full");
  for (const auto source : kSources) {
    auto o = options(true, {"club_head"}, source);
    o.threads = 1;
    const auto one = engine::induced_accelerations(s.model, s.state, o);
    o.threads = 2;
    const auto two = engine::induced_accelerations(s.model, s.state, o);
    EXPECT_EQ(one.joint, two.joint);
    EXPECT_EQ(one.site, two.site);
  }
}

TEST(InducedAccel, MocapModelsFallBackToMuJoCosStages) {
  // The tree export refuses mocap bodies; the default source then takes M(q) from MuJoCo.
  test::TempDir dir;
  const auto path = dir / "mocap.xml";
  std::ofstream(path) << R"(<mujoco><worldbody>
    <body name="target" mocap="true"><geom type="sphere" size="0.1"/></body>
    <body name="a" pos="0 0 1"><joint name="j0" type="hinge" axis="0 1 0"/>
      <geom type="capsule" fromto="0 0 0 0.5 0 0" size="0.05" mass="2"/>
      <body name="b" pos="0.5 0 0"><joint name="j1" type="hinge" axis="0 1 0"/>
        <geom type="capsule" fromto="0 0 0 0.4 0 0" size="0.04" mass="1"/>
        <site name="tip" pos="0.4 0 0"/></body></body>
  </worldbody><actuator><motor joint="j0"/><motor joint="j1"/></actuator></mujoco>)";
  const auto model = engine::Model::load(path);
  engine::Data data(model);
  engine::StateBatch in;
  in.frames = 5;
  for (int f = 0; f < 5; ++f) {
    in.time.push_back(0.01 * f);
    for (double v : {0.3 * f, -0.2 * f}) in.qpos.push_back(v);
    for (double v : {1.0, -0.5 * f}) in.qvel.push_back(v);
    for (double v : {0.4, -0.1}) in.ctrl.push_back(v);
  }
  const auto state = engine::get_full_state(data, in, {"tip"});
  for (const auto source : kSources) {
    SCOPED_TRACE(name_of(source));
    const auto r = engine::induced_accelerations(model, state, options(true, {"tip"}, source));
    ASSERT_EQ(r.frames, 5);
    EXPECT_LE(r.max_closure(), 1e-8);
    for (int64_t f = 0; f < 5; ++f) {
      double sum[3] = {0, 0, 0};
      for (int c = 0; c < 6; ++c)
        for (int e = 0; e < 3; ++e)
          sum[e] += r.site[static_cast<std::size_t>((f * r.contributors + c) * 3 + e)];
      for (int e = 0; e < 3; ++e)
        EXPECT_NEAR(sum[e], state.site_acc[static_cast<std::size_t>(f * 3 + e)],
                    1e-8 * (1 + std::abs(state.site_acc[static_cast<std::size_t>(f * 3 + e)])));
    }
  }
}

TEST(InducedAccel, NaNPositionIsAnErrorNamingTheFrame) {
  const Swing& s = swing("full");
  engine::FullState bad = s.state;
  bad.qpos[static_cast<std::size_t>(7 * bad.nq + 8)] = std::nan("");  // a hinge of frame 7
  for (const auto source : kSources) {
    SCOPED_TRACE(name_of(source));
    try {
      engine::induced_accelerations(s.model, bad, options(true, {"club_head"}, source));
      FAIL() << "a NaN position was solved";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("frame 7 "), std::string::npos) << e.what();
    }
  }
  // The tree path of the CUDA reference too.
  std::vector<double> moments;
  const auto batch = engine::frame_batch(bad, moments);
  EXPECT_THROW(iaa::compute_tree_cpu(engine::export_tree(*s.model, {}), batch, options(false, {})),
               InputError);
}

TEST(InducedAccel, CounterfactualsRespondThroughTheConstraints) {
  const Swing& s = swing("full");
  const auto cf = engine::counterfactuals(s.model, s.state, {"club_head"}, 0);
  const mjModel* m = s.model->get();
  const int nv = m->nv;
  ASSERT_EQ(cf.ztcf.size(), static_cast<std::size_t>(s.state.frames * nv));
  // Oracle: a fresh Data, the same state with ctrl = 0 (ZTCF) or qvel = 0 (ZVCF), mj_forward.
  engine::Data data(s.model);
  mjData* d = data.get();
  for (int64_t f = 1; f < s.state.frames; f += 97) {
    mju_copy(d->qpos, s.state.qpos.data() + f * m->nq, m->nq);
    mju_copy(d->qvel, s.state.qvel.data() + f * nv, nv);
    mju_zero(d->ctrl, m->nu);
    mju_copy(d->qfrc_applied, s.state.qfrc_applied.data() + f * nv, nv);
    mj_forward(m, d);
    EXPECT_LT(test::rel_diff(cf.ztcf.data() + f * nv, d->qacc, static_cast<std::size_t>(nv), 1),
              1e-6);
    mju_zero(d->qvel, nv);
    mju_copy(d->ctrl, s.state.ctrl.data() + f * m->nu, m->nu);
    mj_forward(m, d);
    EXPECT_LT(test::rel_diff(cf.zvcf.data() + f * nv, d->qacc, static_cast<std::size_t>(nv), 1),
              1e-6);
  }
  // At rest (frame 0) zeroing the velocities changes nothing.
  EXPECT_LT(test::rel_diff(cf.zvcf.data(), s.state.qacc.data(), static_cast<std::size_t>(nv), 1),
            1e-6);
  // In the downswing the controls matter: ZTCF differs from what happened.
  const int64_t impact = sim::impact_frame(s.rec);
  EXPECT_GT(test::rel_diff(cf.ztcf.data() + impact * nv, s.state.qacc.data() + impact * nv,
                           static_cast<std::size_t>(nv)),
            0.1);
}

TEST(InducedAccel, EdgesAndBadInput) {
  const Swing& s = swing("upper");
  // No frames.
  engine::FullState empty;
  empty.resize(*s.model, {"club_head"}, 0);
  const auto none = engine::induced_accelerations(s.model, empty, options(true));
  EXPECT_EQ(none.frames, 0);
  EXPECT_TRUE(none.joint.empty());
  EXPECT_EQ(none.max_closure(), 0);
  // One frame.
  engine::FullState one = s.state;
  one.frames = 1;
  for (auto* v : {&one.time, &one.ncon}) v->resize(1);
  one.qpos.resize(static_cast<std::size_t>(one.nq));
  for (auto* v : {&one.qvel, &one.qacc, &one.qfrc_bias, &one.qfrc_gravity, &one.qfrc_passive,
                  &one.qfrc_constraint, &one.qfrc_applied, &one.qfrc_actuator})
    v->resize(static_cast<std::size_t>(one.nv));
  for (auto* v : {&one.ctrl, &one.actuator_force}) v->resize(static_cast<std::size_t>(one.nu));
  one.actuator_moment.resize(static_cast<std::size_t>(one.nu * one.nv));
  for (auto* v : {&one.site_pos, &one.site_vel, &one.site_acc}) v->resize(3);
  const auto r1 = engine::induced_accelerations(s.model, one, options(false));
  EXPECT_EQ(r1.frames, 1);
  EXPECT_LE(r1.max_closure(), 1e-8);
  // NaN in the recorded acceleration shows as NaN closure, not as a pass.
  engine::FullState nan = one;
  nan.qacc[0] = std::nan("");
  EXPECT_TRUE(
      std::isnan(engine::induced_accelerations(s.model, nan, options(false)).max_closure()));
  // A state of another model.
  const auto full = engine::Model::load(test::golfer_model("full"));
  EXPECT_THROW(engine::induced_accelerations(full, s.state, options(false)), InputError);
  // An unknown site.
  EXPECT_THROW(engine::induced_accelerations(s.model, s.state, options(false, {"toe"})),
               InputError);
  // A non-positive-definite M is reported, not solved.
  std::vector<double> M{1, 2, 2, 1}, X{1, 1};
  EXPECT_FALSE(iaa::solve_frame(2, 1, M.data(), X.data()));
}

TEST(InducedAccel, SolveFrameOnEveryInstructionSetThisCpuRuns) {
  // Random symmetric positive definite M = A A^T + nv I; k right-hand sides on either side of the
  // 16-wide blocks; every solution must satisfy M X = F to rounding.
  std::mt19937_64 rng(std::random_device{}());
  std::normal_distribution<double> normal;
  int ran = 0;
  {
    std::vector<double> M{1}, X{1};
    EXPECT_THROW(iaa::solve_frame(dtw::Simd::avx512, 1, 1, M.data(), X.data()), BackendError);
  }
  for (dtw::Simd isa : {dtw::Simd::scalar, dtw::Simd::avx2, dtw::Simd::best}) {
    if (isa == dtw::Simd::avx2 && !dtw::cpu_supports(isa)) {
      std::vector<double> M{1}, X{1};
      EXPECT_THROW(iaa::solve_frame(isa, 1, 1, M.data(), X.data()), BackendError);
      continue;
    }
    ++ran;
    for (int nv : {1, 2, 5, 16, 17, 27, 40, 41}) {
      for (int k : {1, 6, 15, 16, 17, 27, 33}) {
        std::vector<double> A(static_cast<std::size_t>(nv * nv)), M(A.size());
        for (double& a : A) a = normal(rng);
        for (int i = 0; i < nv; ++i)
          for (int j = 0; j < nv; ++j) {
            double sum = i == j ? nv : 0.0;
            for (int m = 0; m < nv; ++m) sum += A[i * nv + m] * A[j * nv + m];
            M[i * nv + j] = sum;
          }
        std::vector<double> F(static_cast<std::size_t>(k * nv));
        for (double& f : F) f = normal(rng);
        std::vector<double> Mw = M, X = F;
        ASSERT_TRUE(iaa::solve_frame(isa, nv, k, Mw.data(), X.data()));
        double worst = 0;
        for (int c = 0; c < k; ++c)
          for (int i = 0; i < nv; ++i) {
            double r = 0, scale = std::abs(F[c * nv + i]);
            for (int j = 0; j < nv; ++j) {
              r += M[i * nv + j] * X[c * nv + j];
              scale += std::abs(M[i * nv + j] * X[c * nv + j]);
            }
            worst = std::max(worst, std::abs(r - F[c * nv + i]) / scale);
          }
        EXPECT_LT(worst, 1e-13) << "isa " << static_cast<int>(isa) << " nv " << nv << " k " << k;
      }
    }
    // Not positive definite on this path too.
    std::vector<double> M{1, 2, 2, 1}, X{1, 1};
    EXPECT_FALSE(iaa::solve_frame(isa, 2, 1, M.data(), X.data()));
  }
  EXPECT_GE(ran, 2);
}

TEST(InducedAccel, CudaWithoutADeviceSaysSo) {
  if (cuda_device_info().available()) GTEST_SKIP() << "a CUDA device is visible (tests/gpu)";
  const Swing& s = swing("upper");
  std::vector<double> moments;
  const auto batch = engine::frame_batch(s.state, moments);
  EXPECT_THROW(
      iaa::compute_cuda(engine::export_tree(*s.model, {"club_head"}), batch, options(false)),
      BackendError);
}

}  // namespace
}  // namespace swingpipe
