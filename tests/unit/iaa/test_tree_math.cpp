// The __host__ __device__ tree math of the CUDA path (kernels/common/rigid_tree_math.hpp), on the
// CPU, against MuJoCo itself: M(q) against mj_fullM, G(q) against mj_rne at zero velocity, site
// Jacobians against mj_jacSite and J'qd against MuJoCo's own site acceleration, at random states
// of every golfer model and of Debian's libmujoco-samples humanoid (skipped when absent).
#include <gtest/gtest.h>

#include <fstream>
#include <utility>
#include <vector>

#include "../engine/engine_test_util.hpp"
#include "common/rigid_tree_math.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/induced_accel_engine.hpp"

namespace swingpipe {
namespace {

using iaa::tree::TreeView;

using iaa::tree::view_of;

/// Per-frame scratch, carved as compute_tree_cpu carves it (tree::carve), plus M, G and J.
struct Scratch : iaa::tree::Frame {
  explicit Scratch(const TreeView& v)
      : Frame{},
        s(static_cast<std::size_t>(iaa::tree::scratch_size(v))),
        M(static_cast<std::size_t>(v.nv) * v.nv),
        G(static_cast<std::size_t>(v.nv)),
        J(static_cast<std::size_t>(3) * v.nv) {
    static_cast<Frame&>(*this) = iaa::tree::carve(v, s.data());
  }
  std::vector<double> s, M, G, J;
};

struct Errors {
  double M = 0, G = 0, J = 0, bias = 0, xpos = 0;
};

/// Worst relative errors of the tree math over `states` random states of `path`.
Errors check_model(const std::filesystem::path& path, int states, std::mt19937_64& rng) {
  const auto model = engine::Model::load(path);
  const mjModel* m = model->get();
  std::vector<std::string> sites;
  for (int s = 0; s < m->nsite; ++s) {
    const char* n = mj_id2name(m, mjOBJ_SITE, s);
    if (n && *n) sites.push_back(n);
  }
  const auto tree = engine::export_tree(*model, sites);
  const TreeView v = view_of(tree);
  Scratch w(v);
  engine::Data data(model);
  mjData* d = data.get();
  const int nv = m->nv;
  std::vector<double> Mref(static_cast<std::size_t>(nv) * nv), Gref(static_cast<std::size_t>(nv)),
      Jref(static_cast<std::size_t>(3) * nv), zero(static_cast<std::size_t>(nv), 0.0);
  Errors e;
  for (int trial = 0; trial < states; ++trial) {
    test::random_state(m, d, rng);
    mj_forward(m, d);  // normalizes quaternions in qpos, computes everything
    // MuJoCo: M, G (mj_rne at zero velocity on a copy), site Jacobians and accelerations.
    mj_fullM(m, Mref.data(), d->qM);
    std::vector<double> qvel(d->qvel, d->qvel + nv);
    mju_zero(d->qvel, nv);
    mj_comVel(m, d);
    mj_rne(m, d, 0, Gref.data());
    mju_copy(d->qvel, qvel.data(), nv);
    mj_forward(m, d);

    iaa::tree::kinematics(v, d->qpos, w.xpos, w.xquat, w.xmat, w.xanchor, w.xaxis);
    iaa::tree::com_inertia(v, w.xpos, w.xquat, w.xmat, w.xanchor, w.xaxis, w.cinert, w.cdof);
    iaa::tree::mass_matrix(v, w.cinert, w.cdof, w.crb, w.M.data());
    iaa::tree::gravity_force(v, w.cinert, w.cdof, w.cacc, w.G.data());
    iaa::tree::velocities(v, d->qvel, w.cdof, w.cvel, w.cdof_dot);
    e.xpos = std::max(e.xpos,
                      test::rel_diff(w.xpos, d->xpos, static_cast<std::size_t>(3 * m->nbody), 1.0));
    e.M = std::max(e.M, test::rel_diff(w.M.data(), Mref.data(), Mref.size()));
    e.G = std::max(e.G, test::rel_diff(w.G.data(), Gref.data(), Gref.size()));
    for (std::size_t si = 0; si < tree.sites.size(); ++si) {
      const int id = model->site(sites[si]);
      double p[3], bias[3];
      iaa::tree::point_position(p, w.xpos, w.xmat, tree.sites[si].body, tree.sites[si].pos);
      iaa::tree::point_jacobian(v, w.cdof, tree.sites[si].body, p, w.J.data());
      mj_jacSite(m, d, Jref.data(), nullptr, id);
      e.J = std::max(e.J, test::rel_diff(w.J.data(), Jref.data(), Jref.size(), 1.0));
      iaa::tree::point_bias_acceleration(v, d->qvel, w.cvel, w.cdof_dot, w.cacc,
                                         tree.sites[si].body, p, bias);
      // MuJoCo's site acceleration minus J qacc is J'qd.
      double acc[3];
      engine::site_accelerations(data, std::span<const int>(&id, 1), acc);
      double jq[3] = {0, 0, 0};
      for (int k = 0; k < 3; ++k)
        for (int i = 0; i < nv; ++i)
          jq[k] += Jref[static_cast<std::size_t>(k * nv + i)] * d->qacc[i];
      const double want[3] = {acc[0] - jq[0], acc[1] - jq[1], acc[2] - jq[2]};
      // Scale: the largest of the terms that were subtracted.
      double scale = 1;
      for (int k = 0; k < 3; ++k) scale = std::max({scale, std::abs(acc[k]), std::abs(jq[k])});
      for (int k = 0; k < 3; ++k) e.bias = std::max(e.bias, std::abs(bias[k] - want[k]) / scale);
    }
  }
  return e;
}

TEST(TreeMath, MatchesMuJoCoOnEveryGolferModel) {
  auto rng = test::fresh_rng();
  for (const auto& which : test::golfer_models()) {
    SCOPED_TRACE(which);
    const Errors e = check_model(test::golfer_model(which), 20, rng);
    EXPECT_LT(e.xpos, 1e-12);
    EXPECT_LT(e.M, 1e-12) << "M(q) against mj_fullM";
    EXPECT_LT(e.G, 1e-12) << "G(q) against mj_rne at zero velocity";
    EXPECT_LT(e.J, 1e-12) << "site Jacobian against mj_jacSite";
    EXPECT_LT(e.bias, 1e-10) << "J'qd against MuJoCo's site acceleration";
  }
}

TEST(TreeMath, MatchesMuJoCoOnTheSamplesHumanoid) {
  const auto path = test::humanoid_model();
  if (path.empty()) GTEST_SKIP() << "libmujoco-samples' humanoid.xml is not installed";
  auto rng = test::fresh_rng();
  const Errors e = check_model(path, 20, rng);
  EXPECT_LT(e.M, 1e-12);
  EXPECT_LT(e.G, 1e-12);
}

TEST(TreeMath, MassMatrixIsSymmetricPositiveDefinite) {
  auto rng = test::fresh_rng();
  const auto model = engine::Model::load(test::golfer_model("advanced"));
  const auto tree = engine::export_tree(*model, {});
  const TreeView v = view_of(tree);
  Scratch w(v);
  engine::Data data(model);
  test::random_state(model->get(), data.get(), rng);
  mj_kinematics(model->get(), data.get());  // normalizes the free joint's quaternion
  iaa::tree::kinematics(v, data.get()->qpos, w.xpos, w.xquat, w.xmat, w.xanchor, w.xaxis);
  iaa::tree::com_inertia(v, w.xpos, w.xquat, w.xmat, w.xanchor, w.xaxis, w.cinert, w.cdof);
  iaa::tree::mass_matrix(v, w.cinert, w.cdof, w.crb, w.M.data());
  const int nv = v.nv;
  for (int i = 0; i < nv; ++i)
    for (int j = 0; j < nv; ++j)
      ASSERT_EQ(w.M[static_cast<std::size_t>(i * nv + j)],
                w.M[static_cast<std::size_t>(j * nv + i)]);
  // Positive definite: the solve succeeds and M x = b holds.
  std::vector<double> M = w.M, x = test::random_values(rng, static_cast<std::size_t>(nv));
  const std::vector<double> b = x;
  ASSERT_TRUE(iaa::solve_frame(nv, 1, M.data(), x.data()));
  for (int i = 0; i < nv; ++i) {
    double r = 0;
    for (int j = 0; j < nv; ++j)
      r += w.M[static_cast<std::size_t>(i * nv + j)] * x[static_cast<std::size_t>(j)];
    EXPECT_NEAR(r, b[static_cast<std::size_t>(i)], 1e-9);
  }
}

TEST(TreeMath, CarveLaysTheArraysEndToEndOverTheWholeScratch) {
  const auto model = engine::Model::load(test::golfer_model("advanced"));
  const TreeView v = view_of(engine::export_tree(*model, {}));
  std::vector<double> s(static_cast<std::size_t>(iaa::tree::scratch_size(v)));
  const iaa::tree::Frame f = iaa::tree::carve(v, s.data());
  const int64_t nb = v.nbody, nj = v.njnt, nv = v.nv;
  const std::pair<const double*, int64_t> arrays[] = {
      {f.xpos, 3 * nb},  {f.xquat, 4 * nb}, {f.xmat, 9 * nb},    {f.cinert, 10 * nb},
      {f.crb, 10 * nb},  {f.cvel, 6 * nb},  {f.cacc, 6 * nb},    {f.xanchor, 3 * nj},
      {f.xaxis, 3 * nj}, {f.cdof, 6 * nv},  {f.cdof_dot, 6 * nv}};
  const double* next = s.data();
  for (const auto& [p, n] : arrays) {
    EXPECT_EQ(p, next);
    next = p + n;
  }
  EXPECT_EQ(f.end, next);
  EXPECT_EQ(f.end, s.data() + s.size());
}

TEST(TreeMath, ExportRefusesWhatTheTreeCannotHold) {
  test::TempDir dir;
  const auto path = dir / "mocap.xml";
  std::ofstream(path) << R"(<mujoco><worldbody>
    <body name="target" mocap="true"><geom type="sphere" size="0.1"/></body>
    <body name="b"><joint type="hinge"/><geom type="sphere" size="0.1" mass="1"/></body>
  </worldbody></mujoco>)";
  const auto model = engine::Model::load(path);
  EXPECT_THROW(engine::export_tree(*model, {}), InputError);
  const auto golfer = engine::Model::load(test::golfer_model("upper"));
  try {
    engine::export_tree(*golfer, {"no_such_site"});
    FAIL() << "an unknown site was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_site"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("club_head"), std::string::npos) << "lists known sites";
  }
}

TEST(TreeMath, ValidateNamesTheProblem) {
  const auto model = engine::Model::load(test::golfer_model("upper"));
  auto tree = engine::export_tree(*model, {});
  tree.bodies[3].parent = 5;
  try {
    tree.validate();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("body 3"), std::string::npos);
  }
  tree = engine::export_tree(*model, {});
  tree.armature.pop_back();
  EXPECT_THROW(tree.validate(), InputError);
}

}  // namespace
}  // namespace swingpipe
