// The tile engine (every SIMD level) and the CUDA backend's walker algorithm run on the host,
// against the brute-force dense reference on fresh random trajectories: every measure, threshold
// and all three histograms equal exactly, for every norm and threshold kind, several Theiler
// windows, both conventions, float32 and float64, auto-, cross- and joint recurrence, sizes
// around the 64-cell tile edges, and data with many exact ties.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include "../../kernels/cpu/rqa_internal.hpp"
#include "rqa_test_util.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {
namespace {

using test_util::random_points;
using test_util::random_walk;
using test_util::same_result;

std::vector<Simd> levels() {
  std::vector<Simd> out;
  for (Simd s : {Simd::scalar, Simd::avx2, Simd::avx512})
    if (cpu_supports(s)) out.push_back(s);
  return out;
}

std::vector<Threshold> thresholds(int dims) {
  return {Threshold::absolute(0.35 * dims), Threshold::fraction(0.37), Threshold::rate(0.08)};
}

std::string describe(const Options& o, int64_t nx, int64_t ny, int dims, const char* kind,
                     const char* type) {
  return std::string(kind) + " " + type + " n=" + std::to_string(nx) + "x" + std::to_string(ny) +
         " dims=" + std::to_string(dims) + " norm=" + std::string(to_string(o.norm)) +
         " threshold=" + std::string(to_string(o.threshold.kind)) + ":" +
         std::to_string(o.threshold.value) + " w=" + std::to_string(o.theiler.value_or(-1)) +
         " convention=" + std::string(to_string(o.convention)) +
         " simd=" + std::string(to_string(o.simd));
}

/// The walker algorithm the CUDA kernels run, on the same problem the API would give it.
template <class T>
Histograms walkers(const Points<T>& x, const Points<T>* y, const Points<T>* b, const Result& r,
                   const Options& o) {
  const bool cross = y != nullptr, joint = b != nullptr;
  const bool swap = cross && o.convention == Convention::pyrqa;
  const Points<T>& rows = swap ? *y : x;
  const Points<T>& cols = swap ? x : (cross ? *y : x);
  detail::LineProblem<T> p;
  p.symmetric = !cross;
  p.walk.x = {rows.values.data(), rows.count, rows.count, rows.dims};
  p.walk.y = {cols.values.data(), cols.count, cols.count, cols.dims};
  p.walk.norm = static_cast<detail::NormCode>(static_cast<int>(o.norm));
  p.walk.limit = detail::value_limit<T>(o.norm, r.epsilon);
  if (joint) {
    p.walk.joint = true;
    p.walk.x2 = p.walk.y2 = {b->values.data(), b->count, b->count, b->dims};
    p.walk.limit2 = detail::value_limit<T>(o.norm, r.epsilon_b);
  }
  const int64_t w = o.theiler.value_or(cross ? 0 : 1);
  p.walk.w_diag = w;
  p.walk.w_vert = o.convention == Convention::pyrqa ? 0 : w;
  return detail::walk_lines(p);
}

template <class T>
void check_auto(std::mt19937_64& rng, int64_t n, int dims, bool ties, bool smooth) {
  const Points<T> x = smooth ? random_walk<T>(rng, n, dims) : random_points<T>(rng, n, dims, ties);
  for (Norm norm : {Norm::euclidean, Norm::maximum, Norm::manhattan})
    for (const Threshold& th : thresholds(dims))
      for (int64_t w : {0, 1, 70})
        for (Convention c : {Convention::standard, Convention::pyrqa}) {
          Options o;
          o.norm = norm;
          o.threshold = th;
          o.theiler = w;
          o.convention = c;
          const Result want = reference_recurrence(x, o);
          // Every SIMD level with one window, the best elsewhere (the levels share the rest).
          for (Simd s : w == 1 ? levels() : std::vector<Simd>{Simd::best}) {
            o.simd = s;
            const Result got = recurrence(x, o);
            ASSERT_TRUE(same_result(got, want))
                << describe(o, n, n, dims, "auto", typeid(T).name());
          }
          const Histograms h = walkers<T>(x, nullptr, nullptr, want, o);
          ASSERT_EQ(h.diagonal, want.histograms.diagonal) << describe(o, n, n, dims, "walk", "");
          ASSERT_EQ(h.vertical, want.histograms.vertical) << describe(o, n, n, dims, "walk", "");
          ASSERT_EQ(h.white_vertical, want.histograms.white_vertical)
              << describe(o, n, n, dims, "walk", "");
        }
}

TEST(RqaExact, AutoRecurrenceEqualsTheDenseReference) {
  auto rng = test::fresh_rng();
  for (int64_t n : {1, 2, 5, 63, 64, 65, 129, 200}) {
    if (n % 2)
      check_auto<double>(rng, n, 1 + static_cast<int>(n % 3), false, false);
    else
      check_auto<float>(rng, n, 2, false, n % 4 == 0);
  }
  check_auto<double>(rng, 300, 3, false, true);  // long lines across many tiles
}

TEST(RqaExact, TiesAreDecidedTheSameEverywhere) {
  auto rng = test::fresh_rng();
  check_auto<double>(rng, 70, 2, true, false);
  check_auto<float>(rng, 150, 3, true, false);
}

template <class T>
void check_cross(std::mt19937_64& rng, int64_t nx, int64_t ny, int dims) {
  const Points<T> x = random_walk<T>(rng, nx, dims);
  Points<T> y = random_walk<T>(rng, ny, dims);
  for (Norm norm : {Norm::euclidean, Norm::maximum, Norm::manhattan})
    for (const Threshold& th : thresholds(dims))
      for (std::optional<int64_t> w : {std::optional<int64_t>{}, std::optional<int64_t>{2}})
        for (Convention c : {Convention::standard, Convention::pyrqa}) {
          Options o;
          o.norm = norm;
          o.threshold = th;
          o.theiler = w;
          o.convention = c;
          const Result want = reference_cross(x, y, o);
          for (Simd s : levels()) {
            o.simd = s;
            ASSERT_TRUE(same_result(cross_recurrence(x, y, o), want))
                << describe(o, nx, ny, dims, "cross", typeid(T).name());
          }
          const Histograms h = walkers<T>(x, &y, nullptr, want, o);
          ASSERT_EQ(h.diagonal, want.histograms.diagonal) << describe(o, nx, ny, dims, "walk", "");
          ASSERT_EQ(h.vertical, want.histograms.vertical) << describe(o, nx, ny, dims, "walk", "");
          ASSERT_EQ(h.white_vertical, want.histograms.white_vertical)
              << describe(o, nx, ny, dims, "walk", "");
        }
}

TEST(RqaExact, CrossRecurrenceEqualsTheDenseReference) {
  auto rng = test::fresh_rng();
  check_cross<double>(rng, 70, 130, 2);
  check_cross<float>(rng, 130, 64, 1);
  check_cross<double>(rng, 1, 5, 2);
}

template <class T>
void check_joint(std::mt19937_64& rng, int64_t n) {
  const Points<T> a = random_walk<T>(rng, n, 2);
  const Points<T> b = random_walk<T>(rng, n, 1);
  for (Norm norm : {Norm::euclidean, Norm::maximum, Norm::manhattan})
    for (const Threshold& th : thresholds(1))
      for (int64_t w : {0, 4})
        for (Convention c : {Convention::standard, Convention::pyrqa}) {
          Options o;
          o.norm = norm;
          o.threshold = th;
          o.threshold_b = Threshold::rate(0.2);
          o.theiler = w;
          o.convention = c;
          const Result want = reference_joint(a, b, o);
          for (Simd s : levels()) {
            o.simd = s;
            ASSERT_TRUE(same_result(joint_recurrence(a, b, o), want))
                << describe(o, n, n, 2, "joint", typeid(T).name());
          }
          const Histograms h = walkers<T>(a, nullptr, &b, want, o);
          ASSERT_EQ(h.diagonal, want.histograms.diagonal);
          ASSERT_EQ(h.vertical, want.histograms.vertical);
          ASSERT_EQ(h.white_vertical, want.histograms.white_vertical);
        }
}

TEST(RqaExact, JointRecurrenceEqualsTheDenseReference) {
  auto rng = test::fresh_rng();
  check_joint<double>(rng, 130);
  check_joint<float>(rng, 65);
}

TEST(RqaExact, RateThresholdsFromTheSampledEstimateAreExact) {
  // Over 8 * 65536 cells the quantile search starts from a sample: still the exact k-th distance.
  auto rng = test::fresh_rng();
  const Points<double> x = random_points<double>(rng, 730, 2);
  const Points<float> xf = random_walk<float>(rng, 730, 3);
  const Points<double> y = random_walk<double>(rng, 730, 2);
  for (Norm norm : {Norm::euclidean, Norm::maximum, Norm::manhattan}) {
    Options o;
    o.norm = norm;
    o.threshold = Threshold::rate(norm == Norm::maximum ? 0.6 : 0.02);
    ASSERT_TRUE(same_result(recurrence(x, o), reference_recurrence(x, o))) << to_string(norm);
    if (norm == Norm::euclidean) {
      ASSERT_TRUE(same_result(recurrence(xf, o), reference_recurrence(xf, o)));
    }
    if (norm == Norm::manhattan) {
      o.convention = Convention::pyrqa;
      ASSERT_TRUE(same_result(cross_recurrence(x, y, o), reference_cross(x, y, o)));
    }
  }
}

TEST(RqaExact, FractionThresholdsFromThePrunedMaximumAreExact) {
  // Over 2^20 cells the largest distance comes from bounding-box pruning: still the exact max.
  auto rng = test::fresh_rng();
  const Points<double> walk = random_walk<double>(rng, 1100, 3);
  const Points<float> cloud = random_points<float>(rng, 1030, 2);
  const Points<double> other = random_walk<double>(rng, 1000, 3);
  for (Norm norm : {Norm::euclidean, Norm::maximum, Norm::manhattan}) {
    Options o;
    o.norm = norm;
    o.threshold = Threshold::fraction(0.2);
    EXPECT_EQ(resolve_epsilon<double>(walk, nullptr, o.threshold, o),
              reference_recurrence(walk, o).epsilon)
        << to_string(norm);
    EXPECT_EQ(resolve_epsilon<float>(cloud, nullptr, o.threshold, o),
              reference_recurrence(cloud, o).epsilon)
        << to_string(norm);
    EXPECT_EQ(resolve_epsilon<double>(walk, &other, o.threshold, o),
              reference_cross(walk, other, o).epsilon)
        << to_string(norm);
  }
}

TEST(RqaExact, ThreadCountsGiveTheSameResult) {
  auto rng = test::fresh_rng();
  const Points<double> x = random_walk<double>(rng, 3000, 2);  // 47 x 47 tiles
  Options o;
  o.threshold = Threshold::rate(0.1);
  o.threads = 1;
  const Result one = recurrence(x, o);
  o.threads = 2;
  EXPECT_TRUE(same_result(recurrence(x, o), one));
  o.threads = 7;
  EXPECT_TRUE(same_result(recurrence(x, o), one));
  // The rate threshold found by sampling and counting passes is the k-th distance exactly.
  EXPECT_GE(one.measures.rr, 0.1);
  EXPECT_LT(one.measures.rr, 0.1 + 4.0 / static_cast<double>(one.measures.cells));
}

}  // namespace
}  // namespace swingpipe::rqa
