// get_full_state and the what-if computations (engine.hpp), recorded channels
// (recorded_state.hpp): every field checked against MuJoCo's own functions, mjData restored bit
// for bit, channels round-trip exactly.
#include <gtest/gtest.h>

#include "engine_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/recorded_state.hpp"

namespace swingpipe {
namespace {

/// A batch of random states of `model`.
engine::StateBatch random_batch(const std::shared_ptr<const engine::Model>& model, int64_t frames,
                                std::mt19937_64& rng) {
  const mjModel* m = model->get();
  engine::Data scratch(model);
  engine::StateBatch s;
  s.frames = frames;
  for (int64_t f = 0; f < frames; ++f) {
    test::random_state(m, scratch.get(), rng);
    mj_normalizeQuat(m, scratch.get()->qpos);
    s.time.push_back(0.001 * static_cast<double>(f));
    s.qpos.insert(s.qpos.end(), scratch.get()->qpos, scratch.get()->qpos + m->nq);
    s.qvel.insert(s.qvel.end(), scratch.get()->qvel, scratch.get()->qvel + m->nv);
    s.ctrl.insert(s.ctrl.end(), scratch.get()->ctrl, scratch.get()->ctrl + m->nu);
    for (int i = 0; i < m->nv; ++i)
      s.qfrc_applied.push_back(std::uniform_real_distribution<>(-5, 5)(rng));
  }
  return s;
}

TEST(FullState, EveryFieldAgreesWithMuJoCo) {
  auto rng = test::fresh_rng();
  for (const auto& which : test::golfer_models()) {
    SCOPED_TRACE(which);
    const auto model = engine::Model::load(test::golfer_model(which));
    const mjModel* m = model->get();
    engine::Data data(model);
    const auto states = random_batch(model, 6, rng);
    const auto fs = engine::get_full_state(data, states, {"club_head"});
    ASSERT_EQ(fs.frames, 6);
    const int nv = m->nv, nu = m->nu;
    engine::Data ref(model);
    mjData* d = ref.get();
    std::vector<double> M(static_cast<std::size_t>(nv) * nv), G(static_cast<std::size_t>(nv));
    for (int64_t f = 0; f < fs.frames; ++f) {
      const auto at = [&](const std::vector<double>& v, int w) { return v.data() + f * w; };
      mju_copy(d->qpos, at(states.qpos, m->nq), m->nq);
      mju_copy(d->qvel, at(states.qvel, nv), nv);
      mju_copy(d->ctrl, at(states.ctrl, nu), nu);
      mju_copy(d->qfrc_applied, at(states.qfrc_applied, nv), nv);
      mj_forward(m, d);
      // The constraint solver starts from another warm start here: equal to its tolerance.
      EXPECT_LT(test::rel_diff(at(fs.qacc, nv), d->qacc, static_cast<std::size_t>(nv)), 1e-10);
      EXPECT_EQ(test::rel_diff(at(fs.qfrc_bias, nv), d->qfrc_bias, static_cast<std::size_t>(nv)),
                0.0);
      EXPECT_EQ(fs.ncon[static_cast<std::size_t>(f)], d->ncon);
      // M qacc = -bias + passive + applied + actuator + constraint (to the solver's tolerance).
      mj_fullM(m, M.data(), d->qM);
      double err = 0, scale = 1;
      for (int i = 0; i < nv; ++i) {
        double lhs = 0;
        for (int j = 0; j < nv; ++j)
          lhs += M[static_cast<std::size_t>(i * nv + j)] * at(fs.qacc, nv)[j];
        const double rhs = -at(fs.qfrc_bias, nv)[i] + at(fs.qfrc_passive, nv)[i] +
                           at(fs.qfrc_applied, nv)[i] + at(fs.qfrc_actuator, nv)[i] +
                           at(fs.qfrc_constraint, nv)[i];
        err = std::max(err, std::abs(lhs - rhs));
        scale = std::max({scale, std::abs(lhs), std::abs(at(fs.qfrc_bias, nv)[i]),
                          std::abs(at(fs.qfrc_constraint, nv)[i])});
      }
      EXPECT_LT(err / scale, 1e-9) << "frame " << f;
      // G: bias at zero velocity, computed here by a forward pass with qvel = 0.
      mju_zero(d->qvel, nv);
      mj_forward(m, d);
      EXPECT_LT(test::rel_diff(at(fs.qfrc_gravity, nv), d->qfrc_bias, static_cast<std::size_t>(nv)),
                1e-14);
      // qfrc_actuator = moment^T force.
      for (int i = 0; i < nv; ++i) {
        double q = 0;
        for (int a = 0; a < nu; ++a)
          q += at(fs.actuator_moment, nu * nv)[a * nv + i] * at(fs.actuator_force, nu)[a];
        EXPECT_NEAR(q, at(fs.qfrc_actuator, nv)[i], 1e-9 * (1 + std::abs(q)));
      }
    }
  }
}

TEST(FullState, CaptureRestoresEveryMjDataField) {
  auto rng = test::fresh_rng();
  for (const auto& which : test::golfer_models()) {
    SCOPED_TRACE(which);
    const auto model = engine::Model::load(test::golfer_model(which));
    const mjModel* m = model->get();
    engine::Data data(model);
    mjData* d = data.get();
    test::random_state(m, d, rng);
    for (int b = 1; b < m->nbody; b += 3) d->xfrc_applied[6 * b + 2] = 3.0;  // exercise applyFT
    for (int s = 0; s < 30; ++s) mj_step(m, d);  // contacts, warm start, stack use
    mj_forward(m, d);
    mjData* before = mj_makeData(m);
    mj_copyData(before, m, d);
    engine::FullState fs;
    fs.resize(*model, {"club_head"}, 1);
    engine::capture(data, fs, 0);
    const auto differ = test::differing_fields(m, before, d);
    EXPECT_TRUE(differ.empty()) << "capture changed: " << ::testing::PrintToString(differ);
    // The what-ifs did compute something: G differs from the bias (velocities are not zero).
    double diff = 0;
    for (int i = 0; i < m->nv; ++i)
      diff += std::abs(fs.qfrc_gravity[static_cast<std::size_t>(i)] - d->qfrc_bias[i]);
    EXPECT_GT(diff, 0);
    // And the next step is the same as from the untouched copy.
    mj_step(m, d);
    mj_step(m, before);
    EXPECT_TRUE(test::differing_fields(m, before, d).empty());
    mj_deleteData(before);
  }
}

TEST(FullState, SiteAccelerationIsTheSecondDerivative) {
  // Along the path q(t) = q + qd t + qdd t^2 / 2 the site's velocity changes at the recorded
  // site acceleration: a central difference of mj_objectVelocity at t = +-h (hinges only, so
  // q + dq is a plain sum).
  auto rng = test::fresh_rng();
  const auto model = engine::Model::load(test::golfer_model("upper"));
  const mjModel* m = model->get();
  engine::Data data(model);
  mjData* d = data.get();
  test::random_state(m, d, rng, 5.0);
  mj_forward(m, d);
  engine::FullState fs;
  fs.resize(*model, {"club_head"}, 1);
  engine::capture(data, fs, 0);
  const std::vector<double> q(d->qpos, d->qpos + m->nq), qd(d->qvel, d->qvel + m->nv),
      qdd(d->qacc, d->qacc + m->nv);
  const int site = model->site("club_head");
  const double h = 1e-6;
  double v[2][6];
  for (int s = 0; s < 2; ++s) {
    const double t = s == 0 ? -h : h;
    for (int i = 0; i < m->nv; ++i) {
      const auto I = static_cast<std::size_t>(i);
      d->qpos[i] = q[I] + qd[I] * t + 0.5 * qdd[I] * t * t;
      d->qvel[i] = qd[I] + qdd[I] * t;
    }
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_comVel(m, d);
    mj_objectVelocity(m, d, mjOBJ_SITE, site, v[s], 0);
  }
  double fd[3], scale = 1;
  for (int k = 0; k < 3; ++k) {
    fd[k] = (v[1][3 + k] - v[0][3 + k]) / (2 * h);
    scale = std::max(scale, std::abs(fd[k]));
  }
  for (int k = 0; k < 3; ++k)
    EXPECT_NEAR(fs.site_acc[static_cast<std::size_t>(k)], fd[k], 1e-6 * scale) << "axis " << k;
}

TEST(FullState, ChannelsRoundTripExactly) {
  auto rng = test::fresh_rng();
  const auto model = engine::Model::load(test::golfer_model("full"));
  engine::Data data(model);
  const auto fs = engine::get_full_state(data, random_batch(model, 4, rng), {"club_head"});
  Recording rec;
  rec.sample_rate = 1000;
  engine::append_full_state(*model, fs, rec);
  validate(rec, "round trip");
  EXPECT_EQ(rec.frames(), 4);
  // Names: qpos of the free joint, dofs, actuators, one moment per joint motor.
  const auto has = [&](const std::string& n) {
    return std::find(rec.channels.begin(), rec.channels.end(), n) != rec.channels.end();
  };
  EXPECT_TRUE(has("qpos:root[6]"));
  EXPECT_TRUE(has("qvel:root[5]"));
  EXPECT_TRUE(has("gravity:lead_knee"));
  EXPECT_TRUE(has("moment:lead_knee:lead_knee"));
  EXPECT_FALSE(has("moment:lead_knee:trail_knee"));
  EXPECT_TRUE(has("site_acc:club_head[2]"));
  const auto back = engine::read_full_state(*model, rec);
  EXPECT_EQ(back.sites, fs.sites);
  EXPECT_EQ(back.time, fs.time);
  EXPECT_EQ(back.qpos, fs.qpos);
  EXPECT_EQ(back.qacc, fs.qacc);
  EXPECT_EQ(back.qfrc_gravity, fs.qfrc_gravity);
  EXPECT_EQ(back.qfrc_constraint, fs.qfrc_constraint);
  EXPECT_EQ(back.actuator_moment, fs.actuator_moment);
  EXPECT_EQ(back.site_acc, fs.site_acc);
  // A missing channel is named.
  rec.channels[5] = "renamed";
  try {
    engine::read_full_state(*model, rec);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("qpos:"), std::string::npos) << e.what();
  }
}

TEST(FullState, EdgeCasesAndBadInput) {
  const auto model = engine::Model::load(test::golfer_model("upper"));
  engine::Data data(model);
  engine::StateBatch empty;
  const auto none = engine::get_full_state(data, empty, {"club_head"});
  EXPECT_EQ(none.frames, 0);
  EXPECT_TRUE(none.qacc.empty());
  engine::StateBatch bad;
  bad.frames = 2;
  bad.time = {0, 1};
  bad.qpos.assign(static_cast<std::size_t>(model->nq()), 0.0);  // one frame's worth
  try {
    engine::get_full_state(data, bad, {});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("qpos"), std::string::npos);
  }
  engine::FullState fs;
  EXPECT_THROW(fs.resize(*model, {"nope"}, 1), InputError);
  fs.resize(*model, {}, 1);
  EXPECT_THROW(engine::capture(data, fs, 1), InputError);
  // NaN state: MuJoCo's answer is kept as it is, not replaced by zeros.
  engine::StateBatch nan;
  nan.frames = 1;
  nan.time = {0};
  nan.qpos.assign(static_cast<std::size_t>(model->nq()), 0.0);
  nan.qvel.assign(static_cast<std::size_t>(model->nv()), 0.0);
  nan.ctrl.assign(static_cast<std::size_t>(model->nu()), 0.0);
  nan.qvel[0] = std::nan("");
  const auto r = engine::get_full_state(data, nan, {});
  EXPECT_TRUE(std::isnan(r.qfrc_bias[0]) || std::isnan(r.qacc[0]));
}

}  // namespace
}  // namespace swingpipe
