// DTW paths (validity, cost, tie-breaking vs the reference) and exact knn vs brute force.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "dtw_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "test_support.hpp"

namespace swingpipe::dtw {
namespace {

using test::close_rel;

/// Checks monotone unit steps from (0,0) to (n-1,m-1) inside the band; returns the sum of frame
/// costs along the path.
template <class T>
double check_path(const Path& p, SeriesRef<T> x, SeriesRef<T> y, int64_t r) {
  EXPECT_FALSE(p.steps.empty());
  if (p.steps.empty()) return 0;
  EXPECT_EQ(p.steps.front(), (std::pair<int32_t, int32_t>{0, 0}));
  EXPECT_EQ(p.steps.back(), (std::pair<int32_t, int32_t>(static_cast<int32_t>(x.length - 1),
                                                         static_cast<int32_t>(y.length - 1))));
  double sum = 0;
  for (std::size_t s = 0; s < p.steps.size(); ++s) {
    const auto [i, j] = p.steps[s];
    EXPECT_LE(std::abs(i - j), r);
    if (s > 0) {
      const int di = i - p.steps[s - 1].first, dj = j - p.steps[s - 1].second;
      EXPECT_TRUE((di == 1 && dj == 1) || (di == 1 && dj == 0) || (di == 0 && dj == 1))
          << "step " << s << " (" << di << "," << dj << ")";
    }
    for (int c = 0; c < x.channels; ++c) {
      const double d = static_cast<double>(x.at(c, i)) - static_cast<double>(y.at(c, j));
      sum += d * d;
    }
  }
  return sum;
}

template <class T>
void check_random_paths(int channels) {
  auto rng = swingpipe::test::fresh_rng();
  const std::vector<int64_t> la{1, 2, 17, 33, 64, 100}, lb{1, 5, 16, 40, 64, 90};
  const Batch<T> a = test::random_batch<T>(rng, la, channels);
  const Batch<T> b = test::random_batch<T>(rng, lb, channels);
  const Batch<double> ad = test::to_double(a), bd = test::to_double(b);
  std::vector<PairIndex> list;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < b.size(); ++j)
      list.push_back({static_cast<int64_t>(i), static_cast<int64_t>(j)});
  for (const Band& band : {Band::full(), Band::samples(0), Band::fraction(0.05)})
    for (bool squared : {true, false}) {
      const Options opt{.band = band, .squared = squared};
      const std::vector<Path> ps = paths<T>(a.view(), b.view(), list, opt);
      ASSERT_EQ(ps.size(), list.size());
      std::vector<T> dist(list.size());
      pairs<T>(a.view(), b.view(), list, dist, opt);
      for (std::size_t p = 0; p < list.size(); ++p) {
        const SeriesRef<T> x = a.view().series(list[p].a), y = b.view().series(list[p].b);
        const double cost = check_path(ps[p], x, y, band.radius(x.length, y.length));
        EXPECT_TRUE(
            close_rel(ps[p].distance, squared ? cost : std::sqrt(cost), test::rel_tol<T>()));
        EXPECT_TRUE(close_rel(ps[p].distance, dist[p], test::rel_tol<T>()));
        const double want = reference_distance(ad.view().series(list[p].a),
                                               bd.view().series(list[p].b), band, squared);
        EXPECT_TRUE(close_rel(ps[p].distance, want, test::rel_tol<T>()));
      }
    }
}
TEST(DtwPaths, RandomFloat64ValidAndOptimal) {
  check_random_paths<double>(1);
}
TEST(DtwPaths, RandomFloat32ThreeChannelsValidAndOptimal) {
  check_random_paths<float>(3);
}

template <class T>
void check_ties() {
  auto rng = swingpipe::test::fresh_rng();
  // Values in {0, 1, 2}: exact arithmetic, many equal accumulated costs.
  const std::vector<int64_t> la{1, 3, 8, 20, 33, 50}, lb{2, 3, 9, 20, 31, 47};
  for (int levels : {2, 3}) {
    const Batch<T> a = test::integer_batch<T>(rng, la, 1, levels);
    const Batch<T> b = test::integer_batch<T>(rng, lb, 1, levels);
    const Batch<double> ad = test::to_double(a), bd = test::to_double(b);
    std::vector<PairIndex> list;
    for (std::size_t i = 0; i < a.size(); ++i)
      for (std::size_t j = 0; j < b.size(); ++j)
        list.push_back({static_cast<int64_t>(i), static_cast<int64_t>(j)});
    for (const Band& band : {Band::full(), Band::samples(2), Band::fraction(0.1)}) {
      const std::vector<Path> ps = paths<T>(a.view(), b.view(), list, Options{.band = band});
      for (std::size_t p = 0; p < list.size(); ++p) {
        const Path want =
            reference_path(ad.view().series(list[p].a), bd.view().series(list[p].b), band, false);
        EXPECT_EQ(ps[p].steps, want.steps) << "pair " << list[p].a << "," << list[p].b;
        EXPECT_TRUE(close_rel(ps[p].distance, want.distance, test::rel_tol<T>()));
      }
    }
  }
  // All-equal series: every step ties; the diagonal wins, then up, then left.
  const std::vector<T> zeros(6, T(0));
  const Path p = path<T>({zeros.data(), 4, 1}, {zeros.data(), 6, 1});
  const std::vector<std::pair<int32_t, int32_t>> want{{0, 0}, {0, 1}, {0, 2},
                                                      {1, 3}, {2, 4}, {3, 5}};
  EXPECT_EQ(p.steps, want);
  const Path q = path<T>({zeros.data(), 6, 1}, {zeros.data(), 4, 1});
  const std::vector<std::pair<int32_t, int32_t>> wantq{{0, 0}, {1, 0}, {2, 0},
                                                       {3, 1}, {4, 2}, {5, 3}};
  EXPECT_EQ(q.steps, wantq);
}
TEST(DtwPaths, TieBreakingMatchesReferenceFloat64) {
  check_ties<double>();
}
TEST(DtwPaths, TieBreakingMatchesReferenceFloat32) {
  check_ties<float>();
}

/// Brute force: every distance through cross(), sorted by (distance, index).
template <class T>
std::vector<std::vector<Neighbor>> brute_knn(const Batch<T>& q, const Batch<T>& lib, int k,
                                             const Options& opt) {
  std::vector<T> d(q.size() * lib.size());
  cross<T>(q.view(), lib.view(), d, opt);
  std::vector<std::vector<Neighbor>> out(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    std::vector<int64_t> idx(lib.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t x, int64_t y) {
      return d[i * lib.size() + x] < d[i * lib.size() + y];
    });
    const std::size_t kk = std::min<std::size_t>(static_cast<std::size_t>(k), lib.size());
    for (std::size_t r = 0; r < kk; ++r)
      out[i].push_back({idx[r], static_cast<double>(d[i * lib.size() + idx[r]])});
  }
  return out;
}

template <class T>
void check_knn(bool unequal, bool integer) {
  auto rng = swingpipe::test::fresh_rng();
  std::vector<int64_t> lq(7, 48), ll(60, 48);
  if (unequal) {
    std::uniform_int_distribution<int64_t> len(30, 60);
    for (auto& n : lq) n = len(rng);
    for (auto& n : ll) n = len(rng);
  }
  const Batch<T> q =
      integer ? test::integer_batch<T>(rng, lq, 2, 3) : test::random_batch<T>(rng, lq, 2);
  // Library: random walks so that lower bounds actually prune.
  Batch<T> lib(2);
  std::normal_distribution<double> step(0, 0.3);
  for (int64_t n : ll) {
    std::vector<T> v(static_cast<std::size_t>(2 * n));
    double acc = 0;
    for (auto& x : v)
      x = static_cast<T>(integer ? std::round(acc += step(rng)) : (acc += step(rng)));
    lib.push_back(v, n);
  }
  for (Simd level : test::supported_levels())
    for (const Band& band : {Band::full(), Band::fraction(0.1), Band::samples(0)})
      for (int k : {1, 5, 60, 100}) {
        const Options opt{.band = band, .squared = (k % 2 == 0), .simd = level};
        KnnStats st;
        const auto got = knn<T>(q.view(), lib.view(), k, opt, &st);
        const auto want = brute_knn(q, lib, k, opt);
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(got[i].size(), want[i].size());
          for (std::size_t r = 0; r < got[i].size(); ++r) {
            EXPECT_EQ(got[i][r].index, want[i][r].index)
                << "query " << i << " rank " << r << " k " << k << " " << to_string(level);
            EXPECT_EQ(got[i][r].distance, want[i][r].distance);
          }
        }
        EXPECT_EQ(st.candidates, static_cast<int64_t>(q.size() * lib.size()));
        EXPECT_EQ(st.pruned_kim + st.pruned_keogh + st.abandoned + st.full_dtw, st.candidates);
        EXPECT_GE(st.full_dtw, static_cast<int64_t>(q.size()) * std::min<int64_t>(k, 60));
        if (k >= 60) {
          EXPECT_EQ(st.full_dtw, st.candidates);
        }
      }
}
TEST(DtwKnn, EqualLengthsFloat64MatchesBruteForce) {
  check_knn<double>(false, false);
}
TEST(DtwKnn, UnequalLengthsFloat32MatchesBruteForce) {
  check_knn<float>(true, false);
}
TEST(DtwKnn, IntegerTiesFloat64MatchesBruteForce) {
  check_knn<double>(false, true);
}

TEST(DtwKnn, PrunesOnStructuredData) {
  auto rng = swingpipe::test::fresh_rng();
  // The library holds noisy copies of a few shapes; the query is one of them: most candidates are
  // far and pruned or abandoned.
  Batch<double> lib(1), q(1);
  std::normal_distribution<double> noise(0, 0.05);
  const int n = 64;
  for (int s = 0; s < 200; ++s) {
    std::vector<double> v(n);
    for (int t = 0; t < n; ++t) v[t] = std::sin(0.1 * t * (1 + s % 10)) * (1 + s % 7) + noise(rng);
    lib.push_back(v, n);
  }
  q.push_back(std::vector<double>(lib.values.begin(), lib.values.begin() + n), n);
  KnnStats st;
  const auto got = knn<double>(q.view(), lib.view(), 3, Options{.band = Band::fraction(0.1)}, &st);
  EXPECT_EQ(got[0][0].index, 0);
  EXPECT_EQ(got[0][0].distance, 0.0);
  EXPECT_GT(st.pruned_kim + st.pruned_keogh + st.abandoned, 100);
  const auto want = brute_knn(q, lib, 3, Options{.band = Band::fraction(0.1)});
  for (int r = 0; r < 3; ++r) EXPECT_EQ(got[0][r].index, want[0][r].index);
}

TEST(DtwKnn, EmptyAndNaNSeries) {
  Batch<double> lib(1), q(1);
  const std::vector<double> a{1, 2, 3}, nan{1, std::nan(""), 3};
  lib.push_back(nan, 3);
  lib.push_back(std::vector<double>{}, 0);
  lib.push_back(a, 3);
  q.push_back(a, 3);
  KnnStats st;
  const auto got = knn<double>(q.view(), lib.view(), 3, Options{}, &st);
  ASSERT_EQ(got[0].size(), 3u);
  EXPECT_EQ(got[0][0].index, 2);  // distance 0
  EXPECT_EQ(got[0][1].index, 1);  // +inf
  EXPECT_EQ(got[0][2].index, 0);  // NaN sorts last
  EXPECT_TRUE(std::isnan(got[0][2].distance));
}

TEST(DtwKnn, InfiniteValuesAreMissingDataAndSortLast) {
  Batch<double> lib(1), q(1);
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> a{1, 2, 3}, far{50, 60, 70}, pinf{1, 2, inf}, minf{-inf, 2, 3};
  lib.push_back(pinf, 3);
  lib.push_back(far, 3);
  lib.push_back(minf, 3);
  lib.push_back(a, 3);
  q.push_back(a, 3);
  for (const Band& band : {Band::full(), Band::samples(0)}) {
    const auto got = knn<double>(q.view(), lib.view(), 4, Options{.band = band});
    ASSERT_EQ(got[0].size(), 4u);
    EXPECT_EQ(got[0][0].index, 3);
    EXPECT_EQ(got[0][1].index, 1);
    EXPECT_TRUE(std::isfinite(got[0][1].distance));
    EXPECT_EQ(got[0][2].index, 0);  // NaN, ties by index
    EXPECT_EQ(got[0][3].index, 2);
    EXPECT_TRUE(std::isnan(got[0][2].distance));
    EXPECT_TRUE(std::isnan(got[0][3].distance));
  }
}

}  // namespace
}  // namespace swingpipe::dtw
