// The tree-sparse solver of both CPU induced-acceleration paths (iaa::TreeSolver): random
// symmetric positive definite matrices on random dof trees (one dof, a chain, a wide tree, a
// random tree, MuJoCo's golfer trees) against a dense double-precision reference (Eigen's LDLT
// on the full matrix), on every instruction set this CPU runs; the sparse layout against MuJoCo's
// qM; site projection; edges and bad input (not positive definite, NaN, infinity, bad parents).
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <cmath>
#include <limits>
#include <random>

#include "../engine/engine_test_util.hpp"
#include "common/rigid_tree_math.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/induced_accel_engine.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe {
namespace {

using Dense = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::vector<int32_t> chain(int nv) {
  std::vector<int32_t> p(static_cast<std::size_t>(nv));
  for (int i = 0; i < nv; ++i) p[static_cast<std::size_t>(i)] = i - 1;
  return p;
}
/// One root with every other dof its child.
std::vector<int32_t> wide(int nv) {
  std::vector<int32_t> p(static_cast<std::size_t>(nv), 0);
  p[0] = -1;
  return p;
}
/// Several roots; each other dof's parent drawn among the dofs before it.
std::vector<int32_t> random_tree(int nv, std::mt19937_64& rng) {
  std::vector<int32_t> p(static_cast<std::size_t>(nv));
  for (int i = 0; i < nv; ++i) {
    std::uniform_int_distribution<int> pick(-1, i - 1);
    p[static_cast<std::size_t>(i)] = i == 0 || pick(rng) < 0 ? -1 : pick(rng);
  }
  return p;
}
std::vector<int32_t> golfer_tree(const std::string& which) {
  const auto model = engine::Model::load(test::golfer_model(which));
  return engine::export_tree(*model, {}).dof_parent;
}

/// A random SPD matrix on the tree's pattern: M = L^T D L with random L (unit lower triangular,
/// non-zero only towards ancestors) and D in [0.5, 3] (so M is exactly tree-sparse), plus a
/// diagonal of `shift`.
Dense random_tree_spd(const std::vector<int32_t>& parent, std::mt19937_64& rng, double shift) {
  const int nv = static_cast<int>(parent.size());
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> diag(0.5, 3.0);
  Dense L = Dense::Identity(nv, nv), D = Dense::Zero(nv, nv);
  for (int i = 0; i < nv; ++i) {
    D(i, i) = diag(rng);
    for (int32_t j = parent[static_cast<std::size_t>(i)]; j >= 0;
         j = parent[static_cast<std::size_t>(j)])
      L(i, j) = normal(rng);
  }
  Dense M = L.transpose() * D * L;
  for (int i = 0; i < nv; ++i) M(i, i) += shift;
  return M;
}

std::vector<dtw::Simd> isas() {
  std::vector<dtw::Simd> out{dtw::Simd::scalar};
  for (dtw::Simd isa : {dtw::Simd::avx2, dtw::Simd::avx512})
    if (dtw::cpu_supports(isa)) out.push_back(isa);
  return out;
}

TEST(TreeSolver, LayoutIsEachRowAndItsAncestors) {
  const std::vector<int32_t> parent{-1, 0, 1, 0, -1, 4};
  const iaa::TreeSolver s(parent);
  EXPECT_EQ(s.nv(), 6);
  EXPECT_EQ(s.row_start(), (std::vector<int32_t>{0, 1, 3, 6, 8, 9, 11}));
  EXPECT_EQ(s.columns(), (std::vector<int32_t>{0, 1, 0, 2, 1, 0, 3, 0, 4, 5, 4}));
  EXPECT_EQ(s.nnz(), 11);
  EXPECT_EQ(iaa::TreeSolver::stride_for(1), 8);
  EXPECT_EQ(iaa::TreeSolver::stride_for(8), 8);
  EXPECT_EQ(iaa::TreeSolver::stride_for(27), 32);
}

TEST(TreeSolver, MatchesADenseReferenceOnEveryTreeAndInstructionSet) {
  auto rng = test::fresh_rng();
  std::normal_distribution<double> normal;
  std::vector<std::pair<std::string, std::vector<int32_t>>> trees{
      {"one dof", chain(1)},
      {"chain 27", chain(27)},
      {"wide 40", wide(40)},
      {"random 16", random_tree(16, rng)},
      {"random 41", random_tree(41, rng)},
      {"golfer upper", golfer_tree("upper")},
      {"golfer full", golfer_tree("full")},
      {"golfer advanced", golfer_tree("advanced")}};
  int checked = 0;
  for (const auto& [name, parent] : trees) {
    const int nv = static_cast<int>(parent.size());
    for (dtw::Simd isa : isas()) {
      const iaa::TreeSolver s(parent, isa);
      EXPECT_EQ(s.isa(), isa);
      for (int k : {1, 6, 8, 9, 27, 33, 47}) {
        SCOPED_TRACE(name + " isa " + std::string(dtw::to_string(isa)) + " k " + std::to_string(k));
        const Dense M = random_tree_spd(parent, rng, 0.0);
        Dense F(k, nv);
        for (int c = 0; c < k; ++c)
          for (int i = 0; i < nv; ++i) F(c, i) = normal(rng);
        // Reference: dense LDLT of the full matrix, one column per right-hand side.
        const Eigen::LDLT<Eigen::MatrixXd> ref{Eigen::MatrixXd(M)};
        const Eigen::MatrixXd Xref = ref.solve(Eigen::MatrixXd(F.transpose()));
        std::vector<double> Ms(static_cast<std::size_t>(s.nnz()));
        s.gather(M.data(), Ms.data());
        std::vector<double> X(F.data(), F.data() + F.size());
        ASSERT_TRUE(s.solve(Ms.data(), k, X.data()));
        double worst = 0, residual = 0;
        for (int c = 0; c < k; ++c) {
          double scale = 1e-300;
          for (int i = 0; i < nv; ++i) scale = std::max(scale, std::abs(Xref(i, c)));
          for (int i = 0; i < nv; ++i)
            worst = std::max(
                worst, std::abs(X[static_cast<std::size_t>(c * nv + i)] - Xref(i, c)) / scale);
          for (int i = 0; i < nv; ++i) {
            double r = -F(c, i), mag = std::abs(F(c, i));
            for (int j = 0; j < nv; ++j) {
              r += M(i, j) * X[static_cast<std::size_t>(c * nv + j)];
              mag += std::abs(M(i, j) * X[static_cast<std::size_t>(c * nv + j)]);
            }
            residual = std::max(residual, std::abs(r) / mag);
          }
        }
        // Forward error: both solutions are within cond(M) * rounding of the exact one.
        const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig{Eigen::MatrixXd(M)};
        const double cond = eig.eigenvalues().maxCoeff() / eig.eigenvalues().minCoeff();
        EXPECT_LT(residual, 1e-13);
        EXPECT_LT(worst, 1e-14 * nv * std::max(cond, 1.0))
            << "against Eigen's dense LDLT, cond " << cond;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, static_cast<int>(trees.size()) * 7);
}

TEST(TreeSolver, ProjectLanesIsJTimesEveryLane) {
  auto rng = test::fresh_rng();
  std::normal_distribution<double> normal;
  for (dtw::Simd isa : isas()) {
    for (int nv : {1, 27, 40}) {
      const iaa::TreeSolver s(chain(nv), isa);
      for (int k : {1, 27, 40}) {
        const int stride = iaa::TreeSolver::stride_for(k);
        iaa::LaneBuffer buf;
        double* T = buf.get(static_cast<std::size_t>((nv + 3) * stride));
        double* acc = T + nv * stride;
        std::vector<double> J(static_cast<std::size_t>(3 * nv));
        for (double& j : J) j = normal(rng);
        for (int i = 0; i < nv * stride; ++i) T[i] = normal(rng);
        s.project_lanes(stride, T, J.data(), acc);
        for (int e = 0; e < 3; ++e)
          for (int c = 0; c < stride; ++c) {
            double want = 0, mag = 0;
            for (int i = 0; i < nv; ++i) {
              want += J[static_cast<std::size_t>(e * nv + i)] * T[i * stride + c];
              mag += std::abs(J[static_cast<std::size_t>(e * nv + i)] * T[i * stride + c]);
            }
            EXPECT_NEAR(acc[e * stride + c], want, 1e-14 * mag);
          }
      }
    }
  }
}

TEST(TreeSolver, RefusesWhatIsNotPositiveDefiniteOrNotFinite) {
  auto rng = test::fresh_rng();
  const auto parent = golfer_tree("full");
  const int nv = static_cast<int>(parent.size());
  for (dtw::Simd isa : isas()) {
    const iaa::TreeSolver s(parent, isa);
    const Dense M = random_tree_spd(parent, rng, 0.0);
    std::vector<double> good(static_cast<std::size_t>(s.nnz()));
    s.gather(M.data(), good.data());
    std::vector<double> X(static_cast<std::size_t>(nv), 1.0);
    {
      // Indefinite: a negative shift larger than the smallest eigenvalue.
      const Dense bad = random_tree_spd(parent, rng, -1e3);
      std::vector<double> Ms(good.size());
      s.gather(bad.data(), Ms.data());
      EXPECT_FALSE(s.solve(Ms.data(), 1, X.data()));
    }
    for (double poison :
         {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
      // Anywhere: on a diagonal, off the diagonal of a leaf row, at a root.
      for (std::size_t at : {std::size_t{0}, good.size() - 1, good.size() / 2}) {
        std::vector<double> Ms = good;
        Ms[at] = poison;
        EXPECT_FALSE(s.factor(Ms.data())) << "entry " << at << " = " << poison;
      }
    }
    std::vector<double> zero(good.size(), 0.0);
    EXPECT_FALSE(s.factor(zero.data()));
  }
  // One dof: 1 x 1.
  const iaa::TreeSolver one(std::vector<int32_t>{-1});
  double m = 4, x = 2;
  ASSERT_TRUE(one.solve(&m, 1, &x));
  EXPECT_EQ(x, 0.5);
  m = -1;
  EXPECT_FALSE(one.solve(&m, 1, &x));
}

TEST(TreeSolver, RefusesBadParents) {
  EXPECT_THROW(iaa::TreeSolver(std::vector<int32_t>{0}), InputError);         // itself
  EXPECT_THROW(iaa::TreeSolver(std::vector<int32_t>{-1, 2, 0}), InputError);  // a later dof
  EXPECT_THROW(iaa::TreeSolver(std::vector<int32_t>{-2}), InputError);
  try {
    iaa::TreeSolver(std::vector<int32_t>{-1, 0, 5});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dof 2"), std::string::npos) << e.what();
  }
  const iaa::TreeSolver none(std::vector<int32_t>{});
  EXPECT_EQ(none.nv(), 0);
  EXPECT_EQ(none.nnz(), 0);
  if (!dtw::cpu_supports(dtw::Simd::avx512)) {
    EXPECT_THROW(iaa::TreeSolver(chain(3), dtw::Simd::avx512), BackendError);
  }
}

TEST(TreeSolver, LayoutIsMuJoCosQM) {
  // The MuJoCo path copies qM (after mj_crb) into the solver's layout row by row: row i of qM at
  // dof_Madr[i] must hold the solver's columns of row i, in order. Checked against mj_fullM.
  auto rng = test::fresh_rng();
  std::vector<std::filesystem::path> paths;
  for (const auto& which : test::golfer_models()) paths.push_back(test::golfer_model(which));
  if (const auto h = test::humanoid_model(); !h.empty()) paths.push_back(h);
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    const auto model = engine::Model::load(path);
    const mjModel* m = model->get();
    engine::Data data(model);
    test::random_state(m, data.get(), rng);
    mj_forward(m, data.get());
    const iaa::TreeSolver s(
        std::span<const int32_t>(m->dof_parentid, static_cast<std::size_t>(m->nv)));
    std::vector<double> full(static_cast<std::size_t>(m->nv * m->nv)),
        Ms(static_cast<std::size_t>(s.nnz()));
    mj_fullM(m, full.data(), data.get()->qM);
    s.gather(full.data(), Ms.data());
    EXPECT_EQ(s.nnz(), m->nM);
    for (int i = 0; i < m->nv; ++i) {
      const int32_t lo = s.row_start()[static_cast<std::size_t>(i)];
      for (int32_t p = lo; p < s.row_start()[static_cast<std::size_t>(i) + 1]; ++p)
        ASSERT_EQ(data.get()->qM[m->dof_Madr[i] + (p - lo)], Ms[static_cast<std::size_t>(p)])
            << "dof " << i << " entry " << p - lo;
    }
  }
}

TEST(TreeSolver, SparseTreeMassMatrixIsTheDenseOne) {
  auto rng = test::fresh_rng();
  const auto model = engine::Model::load(test::golfer_model("advanced"));
  const auto tree = engine::export_tree(*model, {});
  const iaa::tree::TreeView v = iaa::tree::view_of(tree);
  std::vector<double> xpos(3 * v.nbody), xquat(4 * v.nbody), xmat(9 * v.nbody),
      cinert(10 * v.nbody), crb(10 * v.nbody), xanchor(3 * v.njnt), xaxis(3 * v.njnt),
      cdof(6 * v.nv), dense(static_cast<std::size_t>(v.nv * v.nv));
  engine::Data data(model);
  test::random_state(model->get(), data.get(), rng);
  mj_kinematics(model->get(), data.get());
  const iaa::TreeSolver s(tree.dof_parent);
  std::vector<double> sparse(static_cast<std::size_t>(s.nnz())), want(sparse.size());
  iaa::tree::kinematics(v, data.get()->qpos, xpos.data(), xquat.data(), xmat.data(), xanchor.data(),
                        xaxis.data());
  iaa::tree::com_inertia(v, xpos.data(), xquat.data(), xmat.data(), xanchor.data(), xaxis.data(),
                         cinert.data(), cdof.data());
  iaa::tree::mass_matrix(v, cinert.data(), cdof.data(), crb.data(), dense.data());
  iaa::tree::mass_matrix_sparse(v, cinert.data(), cdof.data(), crb.data(), s.row_start().data(),
                                sparse.data());
  s.gather(dense.data(), want.data());
  EXPECT_EQ(sparse, want);
}

}  // namespace
}  // namespace swingpipe
