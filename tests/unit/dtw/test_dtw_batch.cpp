// DTW batch API vs the float64 brute-force reference on fresh random data, at every SIMD level.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "dtw_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "test_support.hpp"

namespace swingpipe::dtw {
namespace {

using test::close_rel;
using test::rel_tol;

TEST(DtwBand, RadiusWidensAndValidates) {
  EXPECT_EQ(Band::full().radius(10, 10), 9);
  EXPECT_EQ(Band::full().radius(10, 4), 9);
  EXPECT_EQ(Band::full().radius(0, 3), 3);
  EXPECT_EQ(Band::samples(0).radius(10, 10), 0);
  EXPECT_EQ(Band::samples(2).radius(10, 10), 2);
  EXPECT_EQ(Band::samples(2).radius(10, 15), 5);  // widened to |n - m|
  EXPECT_EQ(Band::samples(1000).radius(10, 10), 9);
  EXPECT_EQ(Band::fraction(0.1).radius(150, 150), 15);
  EXPECT_EQ(Band::fraction(0.07).radius(512, 512), 35);  // floor(35.84)
  EXPECT_EQ(Band::fraction(0.05).radius(100, 130), 30);
  EXPECT_EQ(Band::fraction(1.0).radius(8, 8), 7);
  EXPECT_EQ(Band::fraction(0).radius(8, 8), 0);
  EXPECT_THROW((void)Band::samples(-1).radius(5, 5), InputError);
  EXPECT_THROW((void)Band::fraction(-0.1).radius(5, 5), InputError);
  EXPECT_THROW((void)Band::fraction(1.5).radius(5, 5), InputError);
  EXPECT_THROW((void)Band::fraction(std::nan("")).radius(5, 5), InputError);
  try {
    (void)Band::fraction(2).radius(5, 5);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fraction"), std::string::npos) << e.what();
  }
}

TEST(DtwBand, CellsCountTheBand) {
  for (int64_t n : {0, 1, 2, 7, 16, 33})
    for (int64_t m : {0, 1, 3, 16, 40})
      for (const Band& band :
           {Band::full(), Band::samples(0), Band::samples(3), Band::fraction(0.1)}) {
        const int64_t r = band.radius(n, m);
        int64_t cells = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < m; ++j) cells += std::llabs(i - j) <= r;
        EXPECT_EQ(band_cells(n, m, band), cells) << n << "x" << m;
      }
  EXPECT_EQ(band_cells(128, 128, Band::full()), 128 * 128);
}

TEST(DtwReference, HandComputedExample) {
  const std::vector<double> x{0, 1, 2}, y{0, 2};
  const SeriesRef<double> sx{x.data(), 3, 1}, sy{y.data(), 2, 1};
  EXPECT_DOUBLE_EQ(reference_distance(sx, sy, Band::full(), true), 1.0);
  EXPECT_DOUBLE_EQ(reference_distance(sx, sy, Band::full(), false), 1.0);
  const Path p = reference_path(sx, sy, Band::full(), true);
  const std::vector<std::pair<int32_t, int32_t>> want{{0, 0}, {1, 0}, {2, 1}};
  EXPECT_EQ(p.steps, want);
  // Band 0 on equal lengths is the squared Euclidean distance.
  const std::vector<double> a{1, 2, 3}, b{2, 2, 5};
  EXPECT_DOUBLE_EQ(reference_distance({a.data(), 3, 1}, {b.data(), 3, 1}, Band::samples(0), true),
                   5.0);
  EXPECT_DOUBLE_EQ(distance<double>({a.data(), 3, 1}, {b.data(), 3, 1},
                                    Options{.band = Band::samples(0), .squared = true}),
                   5.0);
}

const std::vector<int64_t> kLengths{1, 2, 15, 16, 17, 31, 32, 33, 100, 0, 5, 64};

template <class T>
void check_pairs_vs_reference(int channels) {
  auto rng = swingpipe::test::fresh_rng();
  const Batch<T> a = test::random_batch<T>(rng, kLengths, channels);
  const Batch<T> b = test::random_batch<T>(rng, kLengths, channels, -2, 2);
  const Batch<double> ad = test::to_double(a), bd = test::to_double(b);
  std::vector<PairIndex> list;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < b.size(); ++j)
      list.push_back({static_cast<int64_t>(i), static_cast<int64_t>(j)});
  for (const Band& band : {Band::full(), Band::samples(0), Band::samples(1), Band::fraction(0.05),
                           Band::fraction(0.3)}) {
    std::vector<double> want(list.size());
    for (std::size_t p = 0; p < list.size(); ++p)
      want[p] =
          reference_distance(ad.view().series(list[p].a), bd.view().series(list[p].b), band, true);
    for (Simd level : test::supported_levels())
      for (bool squared : {true, false}) {
        Options opt{.band = band, .squared = squared, .simd = level};
        std::vector<T> out(list.size());
        pairs<T>(a.view(), b.view(), list, out, opt);
        for (std::size_t p = 0; p < list.size(); ++p) {
          const double w = squared ? want[p] : std::sqrt(want[p]);
          ASSERT_TRUE(close_rel(out[p], w, rel_tol<T>()))
              << "pair " << list[p].a << "," << list[p].b << " lengths "
              << a.view().length(list[p].a) << "x" << b.view().length(list[p].b) << " level "
              << to_string(level) << " band r=" << band.value << " squared " << squared;
        }
      }
  }
}

TEST(DtwPairs, Float64OneChannelMatchesReference) {
  check_pairs_vs_reference<double>(1);
}
TEST(DtwPairs, Float64ThreeChannelsMatchesReference) {
  check_pairs_vs_reference<double>(3);
}
TEST(DtwPairs, Float32OneChannelMatchesReference) {
  check_pairs_vs_reference<float>(1);
}
TEST(DtwPairs, Float32ThreeChannelsMatchesReference) {
  check_pairs_vs_reference<float>(3);
}

template <class T>
void check_long() {
  auto rng = swingpipe::test::fresh_rng();
  const Batch<T> a = test::random_batch<T>(rng, {1000, 1000, 990}, 1);
  const Batch<T> b = test::random_batch<T>(rng, {1000, 1017, 1000}, 1);
  const Batch<double> ad = test::to_double(a), bd = test::to_double(b);
  const std::vector<PairIndex> list{{0, 0}, {1, 1}, {2, 2}, {0, 1}};
  for (const Band& band : {Band::full(), Band::fraction(0.1)})
    for (Simd level : test::supported_levels()) {
      std::vector<T> out(list.size());
      pairs<T>(a.view(), b.view(), list, out, Options{.band = band, .simd = level});
      for (std::size_t p = 0; p < list.size(); ++p)
        EXPECT_TRUE(
            close_rel(out[p],
                      std::sqrt(reference_distance(ad.view().series(list[p].a),
                                                   bd.view().series(list[p].b), band, true)),
                      rel_tol<T>()))
            << to_string(level) << " pair " << p;
    }
}
TEST(DtwPairs, Length1000Float64) {
  check_long<double>();
}
TEST(DtwPairs, Length1000Float32) {
  check_long<float>();
}

template <class T>
void check_modes() {
  auto rng = swingpipe::test::fresh_rng();
  // Many series so that lanes fill several groups with mixed shapes.
  std::vector<int64_t> la, lb;
  std::uniform_int_distribution<int64_t> len(0, 40);
  for (int i = 0; i < 37; ++i) la.push_back(len(rng));
  for (int i = 0; i < 21; ++i) lb.push_back(len(rng));
  const Batch<T> a = test::random_batch<T>(rng, la, 2), b = test::random_batch<T>(rng, lb, 2);
  const Batch<double> ad = test::to_double(a), bd = test::to_double(b);
  for (Simd level : test::supported_levels())
    for (const Band& band : {Band::full(), Band::fraction(0.1)})
      for (int threads : {1, 2}) {
        const Options opt{.band = band, .threads = threads, .simd = level};
        std::vector<T> c(a.size() * b.size());
        cross<T>(a.view(), b.view(), c, opt);
        for (std::size_t i = 0; i < a.size(); ++i)
          for (std::size_t j = 0; j < b.size(); ++j)
            ASSERT_TRUE(close_rel(
                c[i * b.size() + j],
                std::sqrt(reference_distance(ad.view().series(i), bd.view().series(j), band, true)),
                rel_tol<T>()))
                << i << "," << j << " " << to_string(level);
        std::vector<T> sym(a.size() * a.size());
        all_pairs<T>(a.view(), sym, opt);
        for (std::size_t i = 0; i < a.size(); ++i)
          for (std::size_t j = 0; j < a.size(); ++j) {
            const double want = i == j ? 0.0
                                       : std::sqrt(reference_distance(
                                             ad.view().series(i), ad.view().series(j), band, true));
            ASSERT_TRUE(close_rel(sym[i * a.size() + j], want, rel_tol<T>())) << i << "," << j;
            ASSERT_EQ(sym[i * a.size() + j], sym[j * a.size() + i]);
          }
        std::vector<T> ovm(b.size());
        one_vs_many<T>(a.view().series(3), b.view(), ovm, opt);
        for (std::size_t j = 0; j < b.size(); ++j) {
          ASSERT_EQ(ovm[j], c[3 * b.size() + j]);
          EXPECT_EQ(distance<T>(a.view().series(3), b.view().series(j), opt), ovm[j]);
        }
      }
}
TEST(DtwModes, CrossAllPairsOneVsManyDistanceFloat64) {
  check_modes<double>();
}
TEST(DtwModes, CrossAllPairsOneVsManyDistanceFloat32) {
  check_modes<float>();
}

TEST(DtwModes, AllPairsLargeEqualLengthsUsesFullGroups) {
  auto rng = swingpipe::test::fresh_rng();
  const Batch<float> a = test::random_batch<float>(rng, std::vector<int64_t>(50, 64), 1);
  const Batch<double> ad = test::to_double(a);
  std::vector<float> out(50 * 50);
  all_pairs<float>(a.view(), out, Options{.band = Band::fraction(0.1), .squared = true});
  for (int i = 0; i < 50; ++i)
    for (int j = 0; j < 50; ++j)
      ASSERT_TRUE(close_rel(out[i * 50 + j],
                            i == j ? 0.0
                                   : reference_distance(ad.view().series(i), ad.view().series(j),
                                                        Band::fraction(0.1), true),
                            1e-5));
}

TEST(DtwEdges, EmptySeries) {
  const std::vector<double> x{1, 2, 3};
  const SeriesRef<double> sx{x.data(), 3, 1}, empty{nullptr, 0, 1};
  EXPECT_EQ(distance<double>(sx, empty), std::numeric_limits<double>::infinity());
  EXPECT_EQ(distance<double>(empty, sx), std::numeric_limits<double>::infinity());
  EXPECT_EQ(distance<double>(empty, empty), 0.0);
  EXPECT_EQ(reference_distance(empty, empty, Band::full(), false), 0.0);
  EXPECT_EQ(reference_distance(sx, empty, Band::full(), false),
            std::numeric_limits<double>::infinity());
  const Path p = path<double>(sx, empty);
  EXPECT_TRUE(p.steps.empty());
  EXPECT_EQ(p.distance, std::numeric_limits<double>::infinity());
}

TEST(DtwEdges, LengthOne) {
  const std::vector<double> x{3}, y{1, 2, 5};
  // (3-1)^2 + (3-2)^2 + (3-5)^2 = 9
  for (Simd level : test::supported_levels()) {
    EXPECT_DOUBLE_EQ(distance<double>({x.data(), 1, 1}, {y.data(), 3, 1},
                                      Options{.squared = true, .simd = level}),
                     9.0);
    EXPECT_DOUBLE_EQ(distance<double>({x.data(), 1, 1}, {x.data(), 1, 1}, Options{.simd = level}),
                     0.0);
  }
}

TEST(DtwEdges, NaNGivesNaN) {
  std::vector<double> x{1, 2, std::nan(""), 4}, y{1, 2, 3, 4};
  for (Simd level : test::supported_levels()) {
    const Options opt{.simd = level};
    EXPECT_TRUE(std::isnan(distance<double>({x.data(), 4, 1}, {y.data(), 4, 1}, opt)));
    EXPECT_TRUE(std::isnan(distance<double>({y.data(), 4, 1}, {x.data(), 4, 1}, opt)));
    EXPECT_FALSE(std::isnan(distance<double>({y.data(), 4, 1}, {y.data(), 4, 1}, opt)));
    // NaN outside a narrow band still counts: every frame is in some band cell.
    EXPECT_TRUE(std::isnan(distance<double>({x.data(), 4, 1}, {y.data(), 4, 1},
                                            Options{.band = Band::samples(0), .simd = level})));
  }
  EXPECT_TRUE(std::isnan(reference_distance({x.data(), 4, 1}, {y.data(), 4, 1}, Band::full(), 0)));
  const Path p = path<double>({x.data(), 4, 1}, {y.data(), 4, 1});
  EXPECT_TRUE(std::isnan(p.distance));
  EXPECT_TRUE(p.steps.empty());
}

TEST(DtwEdges, InfinityIsMissingDataLikeNaN) {
  // dtw.hpp: a series holding +inf or -inf anywhere gives NaN, wherever the value sits. Without
  // the rule, x = y = [inf, 0] would give inf - inf = NaN in one cell, which a min() may keep or
  // drop depending on the backend and on the cell's position.
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> a{inf, 0}, b{-inf, 1, 2}, c{0, 1, 2, 3}, d{0, 1, 2, inf};
  for (Simd level : test::supported_levels())
    for (const Band& band : {Band::full(), Band::samples(0)}) {
      const Options opt{.band = band, .simd = level};
      EXPECT_TRUE(std::isnan(distance<double>({a.data(), 2, 1}, {a.data(), 2, 1}, opt)));
      EXPECT_TRUE(std::isnan(distance<double>({b.data(), 3, 1}, {c.data(), 4, 1}, opt)));
      EXPECT_TRUE(std::isnan(distance<double>({c.data(), 4, 1}, {d.data(), 4, 1}, opt)));
      const std::vector<float> af{std::numeric_limits<float>::infinity(), 0.0f};
      EXPECT_TRUE(std::isnan(distance<float>({af.data(), 2, 1}, {af.data(), 2, 1}, opt)));
    }
  EXPECT_TRUE(std::isnan(reference_distance({a.data(), 2, 1}, {a.data(), 2, 1}, Band::full(), 0)));
  EXPECT_TRUE(std::isnan(reference_distance({c.data(), 4, 1}, {d.data(), 4, 1}, Band::full(), 1)));
  const Path p = path<double>({c.data(), 4, 1}, {d.data(), 4, 1});
  EXPECT_TRUE(std::isnan(p.distance));
  EXPECT_TRUE(p.steps.empty());
  // An empty series still gives +inf (it wins over the non-finite check, as documented).
  EXPECT_EQ(distance<double>({a.data(), 2, 1}, {nullptr, 0, 1}), inf);
}

TEST(DtwEdges, OneOutputSpanRuleLeavesTheTailUntouched) {
  auto rng = swingpipe::test::fresh_rng();
  const Batch<double> a = test::random_batch<double>(rng, {5, 9, 3}, 1);
  const Batch<double> b = test::random_batch<double>(rng, {4, 7}, 1);
  const double sentinel = -777;
  const std::vector<PairIndex> list{{0, 1}, {2, 0}};
  std::vector<double> out(list.size() + 3, sentinel);
  pairs<double>(a.view(), b.view(), list, out);
  EXPECT_NE(out[1], sentinel);
  for (std::size_t k = 2; k < out.size(); ++k) EXPECT_EQ(out[k], sentinel) << k;
  out.assign(a.size() * b.size() + 2, sentinel);
  cross<double>(a.view(), b.view(), out);
  EXPECT_NE(out[5], sentinel);
  EXPECT_EQ(out[6], sentinel);
  EXPECT_EQ(out[7], sentinel);
  out.assign(a.size() * a.size() + 1, sentinel);
  all_pairs<double>(a.view(), out);
  EXPECT_EQ(out[8], 0.0);
  EXPECT_EQ(out[9], sentinel);
  out.assign(b.size() + 1, sentinel);
  one_vs_many<double>(a.view().series(1), b.view(), out);
  EXPECT_NE(out[1], sentinel);
  EXPECT_EQ(out[2], sentinel);
}

TEST(DtwBackend, CudaLengthLimitIsTheKernelsIndexRange) {
  EXPECT_EQ(cuda_max_length(), (int64_t{1} << 29) - 1);
}

TEST(DtwEdges, HugeValues) {
  // float64: 1e30 squared is 1e60, exact enough; the distance is finite.
  const std::vector<double> x{1e30, -1e30, 1e30}, y{-1e30, 1e30};
  const double d = distance<double>({x.data(), 3, 1}, {y.data(), 2, 1});
  EXPECT_TRUE(std::isfinite(d));
  EXPECT_TRUE(close_rel(
      d, reference_distance({x.data(), 3, 1}, {y.data(), 2, 1}, Band::full(), false), 1e-12));
  // float32: (2e30)^2 overflows to +inf (documented): the distance is +inf, never NaN.
  const std::vector<float> xf{1e30f, -1e30f, 1e30f}, yf{-1e30f, 1e30f};
  for (Simd level : test::supported_levels())
    EXPECT_EQ(distance<float>({xf.data(), 3, 1}, {yf.data(), 2, 1}, Options{.simd = level}),
              std::numeric_limits<float>::infinity());
}

TEST(DtwEdges, BadInputThrowsInputError) {
  Batch<double> a(1), b(2);
  const std::vector<double> v{1, 2, 3, 4};
  a.push_back(v, 4);
  b.push_back(v, 2);
  std::vector<double> out(4);
  const std::vector<PairIndex> p0{{0, 0}};
  EXPECT_THROW(pairs<double>(a.view(), b.view(), p0, out), InputError);  // channels differ
  EXPECT_THROW(distance<double>(a.view().series(0), b.view().series(0)), InputError);
  EXPECT_THROW(cross<double>(a.view(), b.view(), out), InputError);
  const std::vector<PairIndex> bad{{0, 1}};
  try {
    pairs<double>(a.view(), a.view(), bad, out);
    ADD_FAILURE() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
  const std::vector<PairIndex> neg{{-1, 0}};
  EXPECT_THROW(pairs<double>(a.view(), a.view(), neg, out), InputError);
  std::vector<double> small;
  EXPECT_THROW(pairs<double>(a.view(), a.view(), p0, small), InputError);
  EXPECT_THROW(all_pairs<double>(a.view(), small), InputError);
  EXPECT_THROW(one_vs_many<double>(a.view().series(0), a.view(), small), InputError);
  EXPECT_THROW(pairs<double>(a.view(), a.view(), p0, out, Options{.band = Band::samples(-3)}),
               InputError);
  EXPECT_THROW(pairs<double>(a.view(), a.view(), p0, out, Options{.band = Band::fraction(1.01)}),
               InputError);
  EXPECT_THROW(all_pairs<double>(a.view(), out, Options{.band = Band::fraction(-1)}), InputError);
  EXPECT_THROW(knn<double>(a.view(), a.view(), 0), InputError);
  // Offsets that ask for more values than there are.
  const std::vector<int64_t> offs{0, 10};
  const BatchView<double> broken{v, offs, 1};
  EXPECT_THROW(all_pairs<double>(broken, out), InputError);
}

TEST(DtwEdges, UnsupportedSimdLevelThrows) {
  const std::vector<double> v{1, 2};
  for (Simd level : {Simd::avx2, Simd::avx512}) {
    if (!cpu_supports(level)) {
      EXPECT_THROW(distance<double>({v.data(), 2, 1}, {v.data(), 2, 1}, Options{.simd = level}),
                   InputError);
    }
  }
  EXPECT_TRUE(cpu_supports(cpu_best_simd()));
}

TEST(DtwBackend, CudaWithoutDeviceThrowsBackendErrorAndAutoFallsBack) {
  const std::vector<double> x{1, 2, 3}, y{1, 3};
  if (cuda_device_info().available()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(
      distance<double>({x.data(), 3, 1}, {y.data(), 2, 1}, Options{.backend = Backend::cuda}),
      BackendError);
  EXPECT_DOUBLE_EQ(distance<double>({x.data(), 3, 1}, {y.data(), 2, 1},
                                    Options{.squared = true, .backend = Backend::automatic}),
                   1.0);
}

}  // namespace
}  // namespace swingpipe::dtw
