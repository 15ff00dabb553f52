// The CUDA DTW backend's logic on the CPU (no GPU needed): the per-pair planning and the kernel
// body are SP_HD / SP_KERNEL_FN code (kernels/common), so the same source runs here, lanes in
// lockstep (kernels/common/dtw_emulate.hpp). Checked against the float64 brute-force reference on
// fresh random data, for every kernel variant the device has: both distance shapes, the 1/2/3 and
// any-channel variants, paths, groups that take several items, multi-tile items through the
// unmasked body. Plus the host-side planning at its 64-bit boundaries.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "common/dtw_chunks.hpp"
#include "common/dtw_emulate.hpp"
#include "common/dtw_plan.hpp"
#include "dtw_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "test_support.hpp"

namespace swingpipe::dtw {
namespace {

using detail::EmulationStats;
using detail::WorkItem;
using test::close_rel;
using test::rel_tol;

// ---- pair sources ---------------------------------------------------------------------------

TEST(DtwCudaPlan, TrianglePairsEnumerateTheUpperTriangleRowByRow) {
  for (int64_t n = 0; n <= 70; ++n) {
    ASSERT_EQ(detail::triangle_pairs(n), n < 2 ? 0 : n * (n - 1) / 2);
    int64_t g = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j, ++g) {
        int64_t gi = -1, gj = -1;
        detail::triangle_pair(g, n, &gi, &gj);
        ASSERT_EQ(gi, i) << "n " << n << " g " << g;
        ASSERT_EQ(gj, j) << "n " << n << " g " << g;
      }
  }
}

/// (i, j) of pair g of an n x n triangle checked against the exact row starts.
void expect_triangle_pair(int64_t g, int64_t n) {
  int64_t i = -1, j = -1;
  detail::triangle_pair(g, n, &i, &j);
  ASSERT_GE(i, 0);
  ASSERT_LE(i, n - 2);
  EXPECT_LE(detail::triangle_row_start(i, n), g) << "n " << n << " g " << g;
  if (i + 1 <= n - 2) {
    EXPECT_GT(detail::triangle_row_start(i + 1, n), g) << "n " << n;
  }
  EXPECT_GT(j, i);
  EXPECT_LT(j, n);
  EXPECT_EQ(detail::triangle_row_start(i, n) + (j - i - 1), g);
}

TEST(DtwCudaPlan, TrianglePairsAtSixtyFourBitBoundaries) {
  // 65 536 series: 2^31 pairs, where an int work index wraps; 3e9 series: ~4.5e18 pairs, near the
  // int64 limit and far beyond double's 53-bit precision.
  for (const int64_t n : {int64_t{65536}, int64_t{65537}, int64_t{100000}, int64_t{3000000000}}) {
    const int64_t total = detail::triangle_pairs(n);
    ASSERT_GT(total, 0);
    EXPECT_EQ(total, n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2));
    for (const int64_t g :
         {int64_t{0}, int64_t{1}, n - 2, n - 1, int64_t{INT32_MAX} - 1, int64_t{INT32_MAX},
          int64_t{INT32_MAX} + 1, int64_t{1} << 32, total / 2, total - 2, total - 1}) {
      if (g < 0 || g >= total) continue;
      expect_triangle_pair(g, n);
    }
    // The first and last pair of some rows.
    for (const int64_t i : {int64_t{0}, int64_t{1}, n / 3, n - 3, n - 2}) {
      expect_triangle_pair(detail::triangle_row_start(i, n), n);
      expect_triangle_pair(detail::triangle_row_start(i + 1, n) - 1, n);
    }
  }
}

TEST(DtwCudaPlan, CrossAndListSources) {
  const int64_t cols = 70000;  // |a| x |b| > 2^32 for |a| > 61 356
  detail::PairSource cross{detail::kSourceCross, nullptr, cols, int64_t{1} << 32};
  int64_t a = 0, b = 0;
  detail::pair_at(cross, 5, &a, &b);
  EXPECT_EQ(a * cols + b, (int64_t{1} << 32) + 5);
  EXPECT_LT(b, cols);
  const int64_t list[] = {3, 9, 7, 2};
  const detail::PairSource src{detail::kSourceList, list, 0, 0};
  detail::pair_at(src, 1, &a, &b);
  EXPECT_EQ(a, 7);
  EXPECT_EQ(b, 2);
}

TEST(DtwCudaPlan, TriangleRunsCoverAChunkRowByRow) {
  for (const int64_t n : {int64_t{2}, int64_t{5}, int64_t{33}}) {
    const int64_t total = detail::triangle_pairs(n);
    for (const int64_t chunk : {int64_t{1}, int64_t{3}, int64_t{7}, total}) {
      std::vector<int> seen(static_cast<std::size_t>(n * n), 0);
      for (int64_t first = 0; first < total; first += chunk) {
        const int64_t count = std::min(chunk, total - first);
        int64_t covered = 0;
        detail::for_each_triangle_run(first, count, n,
                                      [&](int64_t i, int64_t j, int64_t k, int64_t len) {
                                        ASSERT_EQ(k, covered);
                                        for (int64_t t = 0; t < len; ++t) {
                                          int64_t gi = -1, gj = -1;
                                          detail::triangle_pair(first + k + t, n, &gi, &gj);
                                          ASSERT_EQ(gi, i);
                                          ASSERT_EQ(gj, j + t);
                                          ++seen[static_cast<std::size_t>(i * n + j + t)];
                                        }
                                        covered += len;
                                      });
        ASSERT_EQ(covered, count);
      }
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
          ASSERT_EQ(seen[static_cast<std::size_t>(i * n + j)], j > i ? 1 : 0);
    }
  }
}

TEST(DtwCudaPlan, MirrorCompletesTheMatrix) {
  for (const int64_t n :
       {int64_t{0}, int64_t{1}, int64_t{63}, int64_t{64}, int64_t{65}, int64_t{130}}) {
    std::vector<double> m(static_cast<std::size_t>(n * n), -1.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j) m[static_cast<std::size_t>(i * n + j)] = i * 1000.0 + j;
    detail::mirror_upper(m.data(), n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        ASSERT_EQ(m[static_cast<std::size_t>(i * n + j)],
                  i == j ? 0.0 : std::min(i, j) * 1000.0 + std::max(i, j));
  }
}

// ---- one pair's plan ------------------------------------------------------------------------

TEST(DtwCudaPlan, PlanItemFollowsTheApiEdgeCasesAndBand) {
  auto rng = swingpipe::test::fresh_rng();
  Batch<float> a = test::random_batch<float>(rng, {0, 5, 40, 7, 12}, 2);
  const Batch<float> b = test::random_batch<float>(rng, {0, 9, 3}, 2);
  a.values[static_cast<std::size_t>(a.offsets[3] * 2 + 4)] =
      -std::numeric_limits<float>::infinity();  // series 3 holds -inf
  const std::vector<uint8_t> fa = detail::nonfinite_flags(a.view());
  const std::vector<uint8_t> fb = detail::nonfinite_flags(b.view());
  EXPECT_EQ(fa, (std::vector<uint8_t>{0, 0, 0, 1, 0}));
  detail::PlanArgs plan;
  plan.a = {a.offsets.data(), fa.data(), 0};
  plan.b = {b.offsets.data(), fb.data(), 1000};
  plan.channels = 2;
  plan.source = {detail::kSourceCross, nullptr, 3, 0};
  for (const Band band : {Band::full(), Band::samples(2), Band::fraction(0.1)}) {
    plan.band_kind = static_cast<int>(band.kind);
    plan.band_value = band.value;
    for (const bool transpose : {true, false}) {
      plan.transpose = transpose;
      for (int64_t k = 0; k < 15; ++k) {
        const int64_t ia = k / 3, ib = k % 3;
        const int64_t n = a.view().length(ia), m = b.view().length(ib);
        WorkItem w;
        const int code = detail::plan_item(plan, k, &w);
        if (n == 0 && m == 0) {
          EXPECT_EQ(code, detail::kAnswerZero);
        } else if (n == 0 || m == 0) {
          EXPECT_EQ(code, detail::kAnswerInf);  // empty wins over non-finite, as in the CPU API
        } else if (fa[ia]) {
          EXPECT_EQ(code, detail::kAnswerNaN);
        } else {
          ASSERT_EQ(code, detail::kNeedsKernel);
          EXPECT_EQ(w.result, k);
          EXPECT_EQ(w.r, band.radius(n, m));
          const bool swap = transpose && n > m;
          EXPECT_EQ(w.n, swap ? m : n);
          EXPECT_EQ(w.m, swap ? n : m);
          EXPECT_EQ(swap ? w.y_off : w.x_off, a.offsets[ia] * 2);
          EXPECT_EQ(swap ? w.x_off : w.y_off, 1000 + b.offsets[ib] * 2);
        }
      }
    }
  }
  EXPECT_EQ(detail::answer_value<float>(detail::kAnswerZero), 0.0f);
  EXPECT_EQ(detail::answer_value<double>(detail::kAnswerInf),
            std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(detail::answer_value<float>(detail::kAnswerNaN)));
}

TEST(DtwCudaPlan, CostModelNeverPicksTheDroppedMediumShape) {
  // The medium shape (32 lanes x 4 rows) that dtw_plan.hpp dropped costs at least as much as the
  // cheaper of the two kept shapes for every n <= m, r in the model: it could never run.
  const detail::ShapeDims medium{32, 4};
  for (int64_t n = 1; n <= 3000; n += 7)
    for (int64_t m = n; m <= 3000; m += 97)
      for (const int64_t r : {int64_t{0}, int64_t{5}, int64_t{40}, int64_t{300}, m}) {
        const int64_t rr = std::max(r, m - n);
        const double keep =
            std::min(detail::shape_cost(detail::distance_shape<float>(0), n, m, rr),
                     detail::shape_cost(detail::distance_shape<float>(1), n, m, rr));
        const double keep64 =
            std::min(detail::shape_cost(detail::distance_shape<double>(0), n, m, rr),
                     detail::shape_cost(detail::distance_shape<double>(1), n, m, rr));
        ASSERT_GE(detail::shape_cost(medium, n, m, rr), keep) << n << " x " << m << " r " << rr;
        ASSERT_GE(detail::shape_cost(medium, n, m, rr), keep64) << n << " x " << m << " r " << rr;
      }
  // Both kept shapes win somewhere: short pairs go to the sub-warp, long full windows to a warp.
  WorkItem w;
  w.n = w.m = 64;
  w.r = 63;
  EXPECT_EQ(detail::choose_shape<float>(w, 2), 0);
  w.n = w.m = 2048;
  w.r = 2047;
  EXPECT_EQ(detail::choose_shape<float>(w, 2), 1);
  EXPECT_EQ(detail::choose_shape<float>(w, 1), 0);  // the any-channel variant offers one shape
  EXPECT_EQ(detail::shapes_offered(detail::channel_variant(5)), 1);
  EXPECT_EQ(detail::shapes_offered(detail::channel_variant(3)), 2);
}

TEST(DtwCudaPlan, BucketsPutTheCostliestClassFirstWithinAShape) {
  WorkItem small, big;
  small.n = small.m = 10;
  small.r = 9;
  big.n = big.m = 1000;
  big.r = 999;
  EXPECT_EQ(detail::cost_class(small), 6);  // 100 cells
  EXPECT_EQ(detail::cost_class(big), 19);   // 1e6 cells
  EXPECT_LT(detail::bucket_key(0, detail::cost_class(big)),
            detail::bucket_key(0, detail::cost_class(small)));
  EXPECT_LT(detail::bucket_key(0, 0), detail::bucket_key(1, 62));  // shape-major
  WorkItem huge;
  huge.n = huge.m = INT32_MAX / 4;
  huge.r = huge.n;
  EXPECT_EQ(detail::cost_class(huge), 57);  // ~2^57.9 cells: no overflow
  EXPECT_LT(detail::bucket_key(detail::kShapes - 1, 0), detail::kBuckets);
}

// ---- launches and chunks --------------------------------------------------------------------

TEST(DtwCudaPlan, LaunchGroupsClampToItemsAndBoundaryBudget) {
  EXPECT_EQ(detail::launch_groups(4224, 4, 0, 4, 1 << 20, 0), 0);
  EXPECT_EQ(detail::launch_groups(4224, 4, 0, 4, 1 << 20, 10), 10);        // few items
  EXPECT_EQ(detail::launch_groups(4224, 4, 0, 4, 1 << 20, 100000), 4224);  // a full device
  // Boundary rows of 1000 floats: 8000 bytes per group, a 1 MiB budget holds 131 groups.
  EXPECT_EQ(detail::launch_groups(4224, 4, 1000, 4, 1 << 20, 100000), 131);
  // A budget too small for one block still gets one block's worth (the clamp's floor).
  EXPECT_EQ(detail::launch_groups(4224, 16, 1000000, 8, 1 << 20, 100000), 16);
  // 64-bit strides and budgets: no overflow.
  EXPECT_EQ(detail::launch_groups(int64_t{1} << 40, 4, int64_t{1} << 29, 8, std::size_t{1} << 40,
                                  int64_t{1} << 50),
            128);
}

TEST(DtwCudaPlan, BoundaryStrideBoundCoversEveryPair) {
  auto rng = swingpipe::test::fresh_rng();
  std::uniform_int_distribution<int64_t> len(0, 700);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<int64_t> la(6), lb(5);
    for (auto& l : la) l = len(rng);
    for (auto& l : lb) l = len(rng);
    const Batch<float> a = test::random_batch<float>(rng, la, 1);
    const Batch<float> b = test::random_batch<float>(rng, lb, 1);
    for (const Band band : {Band::full(), Band::samples(3), Band::fraction(0.2)})
      for (const int rows : {32, 512}) {
        const int64_t bound = detail::boundary_stride_bound(static_cast<int>(band.kind), band.value,
                                                            detail::length_range(a.view()),
                                                            detail::length_range(b.view()), rows);
        for (std::size_t i = 0; i < a.size(); ++i)
          for (std::size_t j = 0; j < b.size(); ++j) {
            const int64_t n = std::min(la[i], lb[j]), m = std::max(la[i], lb[j]);
            if (n == 0) continue;
            WorkItem w;
            w.n = static_cast<int32_t>(n);
            w.m = static_cast<int32_t>(m);
            w.r = static_cast<int32_t>(band.radius(n, m));
            ASSERT_GE(bound, detail::boundary_width(w, rows)) << n << " x " << m;
          }
      }
  }
}

TEST(DtwCudaPlan, PathsChunksFitTheDirectionBudget) {
  constexpr detail::ShapeDims dims = detail::paths_shape<float>();
  std::vector<WorkItem> items(9);
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i].n = items[i].m = static_cast<int32_t>(100 + 300 * i);
    items[i].r = items[i].n - 1;
  }
  items[4].n = items[4].m = 5000;  // alone larger than the budget
  items[4].r = 4999;
  const std::size_t budget = 600000;
  std::size_t begin = 0;
  int chunks = 0;
  while (begin < items.size()) {
    int64_t words = 0;
    const std::size_t end = detail::paths_chunk(items, begin, dims, 4, budget, 3, &words);
    ASSERT_GT(end, begin);
    ASSERT_LE(end - begin, 3u);
    int64_t acc = 0;
    for (std::size_t i = begin; i < end; ++i) {
      EXPECT_EQ(items[i].dir_off, acc);
      acc += detail::dir_words(items[i], dims);
    }
    EXPECT_EQ(words, acc);
    if (end - begin > 1) {
      EXPECT_LE(static_cast<std::size_t>(words) * 4, budget);
    }
    if (begin <= 4 && 4 < end) {
      EXPECT_EQ(end - begin, 1u);  // the big one runs alone
    }
    begin = end;
    ++chunks;
  }
  EXPECT_GE(chunks, 4);
}

TEST(DtwCudaPlan, PoisonIsNoResult) {
  float f;
  double d;
  std::memset(&f, 0xff, sizeof f);
  std::memset(&d, 0xff, sizeof d);
  EXPECT_TRUE(std::isnan(f));
  EXPECT_TRUE(detail::is_poison(f));
  EXPECT_TRUE(detail::is_poison(d));
  for (const float v : {0.0f, 1.0f, std::numeric_limits<float>::infinity(),
                        std::numeric_limits<float>::quiet_NaN(), detail::answer_value<float>(3)})
    EXPECT_FALSE(detail::is_poison(v)) << v;
  const std::vector<double> r = {1.0, std::numeric_limits<double>::quiet_NaN(), d, 2.0};
  EXPECT_EQ(detail::first_unwritten(r.data(), 4), 2);
  EXPECT_EQ(detail::first_unwritten(r.data(), 2), -1);
}

TEST(DtwCudaPlan, SizesThatOverflowAreInputErrors) {
  EXPECT_EQ(detail::checked_product(3, 4, "cross"), 12u);
  EXPECT_THROW(detail::checked_product(std::size_t{1} << 33, std::size_t{1} << 33, "cross"),
               InputError);
  EXPECT_THROW(Workspace(Workspace::Limits{.chunk_pairs = 0}), InputError);
  EXPECT_THROW(Workspace(Workspace::Limits{.chunk_pairs = int64_t{1} << 31}), InputError);
  EXPECT_THROW(Workspace(Workspace::Limits{.staging_bytes = 0}), InputError);
  const Workspace ws(Workspace::Limits{.chunk_pairs = 7});
  EXPECT_EQ(ws.limits().chunk_pairs, 7);
  EXPECT_EQ(ws.device_bytes(), 0u);  // nothing is set up before a CUDA call
}

// ---- the kernel body, emulated --------------------------------------------------------------

/// The emulated distances of `pairs` (list source) against reference_distance.
template <class T>
void expect_emulated_pairs(const Batch<T>& a, const Batch<T>& b,
                           const std::vector<PairIndex>& pairs, const Band& band, bool squared,
                           int groups, EmulationStats* stats) {
  const std::vector<T> got = detail::emulate_distances<T>(a.view(), b.view(), detail::kSourceList,
                                                          pairs, static_cast<int64_t>(pairs.size()),
                                                          band, squared, groups, stats);
  const Batch<double> ad = test::to_double(a), bd = test::to_double(b);
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const auto x = ad.view().series(static_cast<std::size_t>(pairs[p].a));
    const auto y = bd.view().series(static_cast<std::size_t>(pairs[p].b));
    ASSERT_FALSE(detail::is_poison(got[p])) << "pair " << p << " never written";
    ASSERT_TRUE(close_rel(got[p], reference_distance(x, y, band, squared), rel_tol<T>()))
        << "pair " << p << ": " << x.length << " x " << y.length << ", channels " << a.channels
        << ", radius " << band.radius(x.length, y.length);
  }
}

template <class T>
void check_emulated_variants() {
  auto rng = swingpipe::test::fresh_rng();
  // Every pair of short lengths (one and several tiles of the small shape: 32 rows), plus a long
  // series (two tiles of the large shape, 1019 frames in float32, 507 in float64) that a full
  // window sends to the large shape.
  constexpr int64_t long_len = 2 * detail::distance_shape<T>(1).rows() - 5;
  const std::vector<int64_t> lengths = {1, 2, 7, 31, 32, 33, 100, long_len};
  for (const int channels : {1, 2, 3, 5}) {
    const Batch<T> a = test::random_batch<T>(rng, lengths, channels);
    const Batch<T> b = test::random_batch<T>(rng, lengths, channels, -2, 2);
    std::vector<PairIndex> pairs;
    for (int64_t i = 0; i < 7; ++i)
      for (int64_t j = 0; j < 7; ++j) pairs.push_back({i, j});
    for (const Band band :
         {Band::full(), Band::samples(0), Band::samples(9), Band::fraction(0.1)}) {
      SCOPED_TRACE(::testing::Message() << "channels " << channels << ", band "
                                        << static_cast<int>(band.kind) << " " << band.value);
      // The long series with the full window only, where it goes to the large shape (the
      // emulation runs every lane on one core: the long pairs dominate the test's time).
      std::vector<PairIndex> with_long = pairs;
      if (band.kind == Band::Kind::full && channels <= 3)
        with_long.insert(with_long.end(), {{7, 7}, {7, 6}, {5, 7}});
      EmulationStats stats;
      expect_emulated_pairs(a, b, with_long, band, band.kind == Band::Kind::samples, 3, &stats);
      EXPECT_GT(stats.items[0], 0);
      if (channels <= 3 && band.kind == Band::Kind::full) {
        EXPECT_GT(stats.items[1], 0) << "the large shape never ran";
      }
      if (channels > 3) {
        EXPECT_EQ(stats.items[1], 0) << "the any-channel kernel is small only";
      }
      EXPECT_GT(stats.max_items_per_group, 1) << "no group took several items";
    }
  }
}
TEST(DtwCudaKernelOnCpu, EveryDistanceVariantMatchesReferenceFloat32) {
  check_emulated_variants<float>();
}
TEST(DtwCudaKernelOnCpu, EveryDistanceVariantMatchesReferenceFloat64) {
  check_emulated_variants<double>();
}

template <class T>
void check_unmasked_multi_tile() {
  // A band narrower than the series over several tiles of the large shape, wide enough for the
  // unmasked body (2r >= (G-1)(C+1) + C - 1: r >= 271 for float32's 32 x 16 tiles, 143 for
  // float64's 32 x 8) and for the cost model to prefer the large shape (here r = 500 in float32,
  // 420 in float64); the 2-channel kernel.
  auto rng = swingpipe::test::fresh_rng();
  const Batch<T> a = test::random_batch<T>(rng, {1024, 1536}, 2);
  const Batch<T> b = test::random_batch<T>(rng, {1030, 1541}, 2);
  const std::vector<PairIndex> pairs = {{0, 0}, {1, 1}};
  EmulationStats stats;
  expect_emulated_pairs(a, b, pairs, Band::samples(sizeof(T) == 4 ? 500 : 420), false, 2, &stats);
  EXPECT_EQ(stats.items[1], 2) << "expected the large shape";
  EXPECT_GT(stats.unmasked_steps, 0);
  EXPECT_GT(stats.masked_steps, 0);
}
TEST(DtwCudaKernelOnCpu, MultiTileNarrowBandRunsTheUnmaskedBodyFloat32) {
  check_unmasked_multi_tile<float>();
}
TEST(DtwCudaKernelOnCpu, MultiTileNarrowBandRunsTheUnmaskedBodyFloat64) {
  check_unmasked_multi_tile<double>();
}

TEST(DtwCudaKernelOnCpu, CrossAndTriangleSourcesMatchReference) {
  auto rng = swingpipe::test::fresh_rng();
  const Batch<float> batch = test::random_batch<float>(rng, {40, 1, 0, 33, 129, 77, 2, 300}, 1);
  const Batch<double> bd = test::to_double(batch);
  const auto n = static_cast<int64_t>(batch.size());
  for (const Band band : {Band::full(), Band::fraction(0.1)}) {
    EmulationStats stats;
    const std::vector<float> tri =
        detail::emulate_distances<float>(batch.view(), batch.view(), detail::kSourceTriangle, {},
                                         detail::triangle_pairs(n), band, false, 4, &stats);
    const std::vector<float> cross = detail::emulate_distances<float>(
        batch.view(), batch.view(), detail::kSourceCross, {}, n * n, band, false, 4, &stats);
    int64_t g = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const double want =
            reference_distance(bd.view().series(static_cast<std::size_t>(i)),
                               bd.view().series(static_cast<std::size_t>(j)), band, false);
        ASSERT_TRUE(close_rel(cross[static_cast<std::size_t>(i * n + j)], want, 1e-5))
            << i << ", " << j;
        if (j > i) {
          ASSERT_TRUE(close_rel(tri[static_cast<std::size_t>(g++)], want, 1e-5));
        }
      }
  }
}

TEST(DtwCudaKernelOnCpu, NonFiniteInputsGiveNaNLikeEveryBackend) {
  // The case: x = y = [inf, 0]. inf - inf is NaN, which the GPU's fmin would drop.
  const float inf = std::numeric_limits<float>::infinity();
  Batch<float> batch(1);
  batch.push_back(std::vector<float>{inf, 0.0f}, 2);
  batch.push_back(std::vector<float>{-inf, 1.0f, 2.0f}, 3);
  batch.push_back(std::vector<float>{0.0f, 1.0f}, 2);
  const std::vector<PairIndex> pairs = {{0, 0}, {0, 2}, {1, 2}, {2, 2}};
  EmulationStats stats;
  const std::vector<float> got = detail::emulate_distances<float>(
      batch.view(), batch.view(), detail::kSourceList, pairs, 4, Band::full(), false, 1, &stats);
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_TRUE(std::isnan(got[2]));
  EXPECT_EQ(got[3], 0.0f);
  const std::vector<Path> paths = detail::emulate_paths<float>(
      batch.view(), batch.view(), pairs, Band::full(), false, 1 << 20, &stats);
  EXPECT_TRUE(std::isnan(paths[0].distance));
  EXPECT_TRUE(paths[0].steps.empty());
  EXPECT_EQ(paths[3].steps.size(), 2u);
}

template <class T>
void check_emulated_paths() {
  auto rng = swingpipe::test::fresh_rng();
  constexpr int rows = detail::paths_shape<T>().rows();
  const std::vector<int64_t> lengths = {1, 2, 31, 33, 100, rows + 40};
  for (const int channels : {1, 2, 3, 4}) {  // 4: the any-channel paths kernel
    // Integer values: exact in float, and full of equal-cost ties.
    const Batch<T> a = test::integer_batch<T>(rng, lengths, channels, 5);
    const Batch<T> b = test::integer_batch<T>(rng, lengths, channels, 5);
    const Batch<double> ad = test::to_double(a), bd = test::to_double(b);
    std::vector<PairIndex> pairs;
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 5; ++j) pairs.push_back({i, j});
    pairs.push_back({5, 5});  // two tiles of the paths shape
    pairs.push_back({5, 3});
    pairs.push_back({2, 5});
    for (const Band band : {Band::full(), Band::samples(1), Band::fraction(0.1)}) {
      EmulationStats stats;
      // A direction budget of 64 KiB: the pairs run in several chunks.
      const std::vector<Path> got =
          detail::emulate_paths<T>(a.view(), b.view(), pairs, band, true, 1 << 16, &stats);
      EXPECT_GT(stats.chunks, 1);
      for (std::size_t p = 0; p < pairs.size(); ++p) {
        const Path ref =
            reference_path(ad.view().series(static_cast<std::size_t>(pairs[p].a)),
                           bd.view().series(static_cast<std::size_t>(pairs[p].b)), band, true);
        ASSERT_EQ(got[p].distance, ref.distance) << "pair " << p << ", channels " << channels;
        ASSERT_EQ(got[p].steps, ref.steps) << "pair " << p << ", channels " << channels;
      }
    }
  }
}
TEST(DtwCudaKernelOnCpu, PathsEqualReferenceIncludingTiesFloat32) {
  check_emulated_paths<float>();
}
TEST(DtwCudaKernelOnCpu, PathsEqualReferenceIncludingTiesFloat64) {
  check_emulated_paths<double>();
}

TEST(DtwCudaKernelOnCpu, UnwrittenDirectionIsABackendError) {
  constexpr detail::ShapeDims dims = detail::paths_shape<float>();
  WorkItem w;
  w.n = w.m = 5;
  w.r = 4;
  std::vector<unsigned char> words(static_cast<std::size_t>(detail::dir_words(w, dims)) * 4, 0xff);
  EXPECT_THROW(detail::backtrack(words.data(), 4, w, dims), BackendError);
}

}  // namespace
}  // namespace swingpipe::dtw
