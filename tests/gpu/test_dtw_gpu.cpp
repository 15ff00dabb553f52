// The CUDA DTW backend against the float64 brute-force reference and against its own CPU emulation
// (design.md §3.1: every CUDA kernel is compared with the CPU on the same fresh random batch), for
// every kernel variant: both distance shapes with 1, 2, 3 and any channels, paths with 1..4+
// channels, groups taking several items, the boundary-memory clamp, multi-tile bands through the
// unmasked body, chunked streams of pairs, knn, concurrent host threads. Skips without a device.
// Throughput is measured by `swingpipe bench dtw` (tools/bench/bench_dtw.cpp), not here.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "common/dtw_emulate.hpp"
#include "cuda/dtw_cuda.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "test_support.hpp"

namespace swingpipe::dtw {
namespace {
using test::to_double;

#define SP_REQUIRE_CUDA() SWINGPIPE_REQUIRE_CUDA()

/// A value no DTW result can take: any output element still holding it was never written.
template <class T>
constexpr T kPoison = T(-1234567.0);

template <class T>
Batch<T> random_batch(std::mt19937_64& rng, const std::vector<int64_t>& lengths, int channels,
                      bool integers = false) {
  Batch<T> batch(channels);
  std::uniform_int_distribution<int> small(-2, 2);
  for (const int64_t len : lengths) {
    std::vector<T> v = test::random_values<T>(rng, static_cast<std::size_t>(len * channels));
    if (integers)
      for (T& x : v) x = static_cast<T>(small(rng));
    batch.push_back(v, len);
  }
  return batch;
}

template <class T>
double tolerance() {
  return sizeof(T) == 4 ? 1e-5 : 1e-12;
}

/// got == ref within the type's relative tolerance; inf and NaN must match exactly.
template <class T>
::testing::AssertionResult close(T got, double ref) {
  const double g = static_cast<double>(got);
  if (std::isnan(ref))
    return std::isnan(g) ? ::testing::AssertionSuccess()
                         : ::testing::AssertionFailure() << "got " << g << ", want NaN";
  if (std::isinf(ref))
    return g == ref ? ::testing::AssertionSuccess()
                    : ::testing::AssertionFailure() << "got " << g << ", want " << ref;
  if (g == static_cast<double>(kPoison<T>))
    return ::testing::AssertionFailure() << "output never written";
  const double err = std::fabs(g - ref) / std::max(1.0, std::fabs(ref));
  if (err <= tolerance<T>()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << g << ", reference " << ref << ", relative error " << err;
}

Options with_band(Band band, bool squared = false) {
  Options o;
  o.band = band;
  o.squared = squared;
  o.backend = Backend::cuda;
  return o;
}

std::vector<Band> bands() {
  return {Band::full(), Band::samples(0), Band::samples(1), Band::fraction(0.1)};
}

template <class T>
class DtwGpu : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(DtwGpu, Types);

/// cuda::pairs over `pairs` of a x b against reference_distance, every output written.
template <class T>
void expect_pairs_match(const Batch<T>& a, const Batch<T>& b, const std::vector<PairIndex>& pairs,
                        const Options& opt) {
  std::vector<T> out(pairs.size(), kPoison<T>);
  cuda::pairs<T>(a.view(), b.view(), pairs, out, opt);
  const Batch<double> ad = to_double(a), bd = to_double(b);
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const auto x = ad.view().series(static_cast<std::size_t>(pairs[p].a));
    const auto y = bd.view().series(static_cast<std::size_t>(pairs[p].b));
    EXPECT_TRUE(close(out[p], reference_distance(x, y, opt.band, opt.squared)))
        << "pair " << p << ": lengths " << x.length << " x " << y.length << ", channels "
        << a.channels << ", radius " << opt.band.radius(x.length, y.length);
  }
}

TYPED_TEST(DtwGpu, PairsMatchReferenceOverLengthsBandsAndChannels) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const std::vector<int64_t> lengths = {1, 2, 31, 32, 33, 1000, 4097};
  for (const int channels : {1, 3}) {
    for (const Band band : bands()) {
      const Batch<T> a = random_batch<T>(rng, lengths, channels);
      const Batch<T> b = random_batch<T>(rng, lengths, channels);
      std::vector<PairIndex> pairs;
      for (int64_t i = 0; i < 6; ++i)  // every pair of the short ones, equal and unequal
        for (int64_t j = 0; j < 6; ++j) pairs.push_back({i, j});
      pairs.push_back({6, 6});  // 4097 x 4097
      pairs.push_back({6, 5});  // 4097 x 1000
      pairs.push_back({2, 6});  // 31 x 4097
      const bool squared = band.kind == Band::Kind::samples;
      SCOPED_TRACE(::testing::Message() << "channels " << channels << ", band kind "
                                        << static_cast<int>(band.kind) << " value " << band.value);
      expect_pairs_match(a, b, pairs, with_band(band, squared));
    }
  }
}

TYPED_TEST(DtwGpu, ManyVariableLengthPairsAnyChannelCount) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  std::uniform_int_distribution<int64_t> len(1, 260);
  for (const int channels : {2, 5}) {  // 5: the any-channel kernel
    std::vector<int64_t> la(40), lb(30);
    for (auto& l : la) l = len(rng);
    for (auto& l : lb) l = len(rng);
    const Batch<T> a = random_batch<T>(rng, la, channels);
    const Batch<T> b = random_batch<T>(rng, lb, channels);
    std::vector<PairIndex> pairs;
    std::uniform_int_distribution<int64_t> ia(0, 39), ib(0, 29);
    for (int p = 0; p < 600; ++p) pairs.push_back({ia(rng), ib(rng)});
    expect_pairs_match(a, b, pairs, with_band(Band::fraction(0.2)));
    expect_pairs_match(a, b, pairs, with_band(Band::samples(40), true));
  }
}

TYPED_TEST(DtwGpu, CrossAndOneVsManyMatchReference) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const Batch<T> a = random_batch<T>(rng, {1, 33, 300, 64, 1000}, 3);
  const Batch<T> b = random_batch<T>(rng, {2, 32, 257, 999, 31, 100, 5}, 3);
  const Batch<T> query = random_batch<T>(rng, {500}, 3);
  const Batch<double> ad = to_double(a), bd = to_double(b), qd = to_double(query);
  for (const Band band : bands()) {
    const Options opt = with_band(band);
    std::vector<T> out(a.size() * b.size(), kPoison<T>);
    cuda::cross<T>(a.view(), b.view(), out, opt, false);
    for (std::size_t i = 0; i < a.size(); ++i)
      for (std::size_t j = 0; j < b.size(); ++j)
        EXPECT_TRUE(
            close(out[i * b.size() + j],
                  reference_distance(ad.view().series(i), bd.view().series(j), band, false)))
            << "cross (" << i << ", " << j << ")";
    // One-vs-many: a cross with a one-series batch.
    std::vector<T> row(b.size(), kPoison<T>);
    cuda::cross<T>(query.view(), b.view(), row, opt, false);
    for (std::size_t j = 0; j < b.size(); ++j)
      EXPECT_TRUE(
          close(row[j], reference_distance(qd.view().series(0), bd.view().series(j), band, false)))
          << "one-vs-many " << j;
  }
}

TYPED_TEST(DtwGpu, AllPairsSymmetricUpperTriangleMirrored) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const Batch<T> batch = random_batch<T>(rng, {40, 1, 0, 33, 129, 512, 77, 2, 300}, 1);
  const Batch<double> bd = to_double(batch);
  const std::size_t n = batch.size();
  for (const Band band : bands()) {
    std::vector<T> out(n * n, kPoison<T>);
    cuda::cross<T>(batch.view(), batch.view(), out, with_band(band), true);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(out[i * n + i], T(0)) << "diagonal " << i;
      for (std::size_t j = i + 1; j < n; ++j) {
        EXPECT_TRUE(close(out[i * n + j], reference_distance(bd.view().series(i),
                                                             bd.view().series(j), band, false)))
            << "(" << i << ", " << j << ")";
        EXPECT_EQ(out[i * n + j], out[j * n + i]) << "mirror of (" << i << ", " << j << ")";
      }
    }
  }
}

TYPED_TEST(DtwGpu, PathsEqualReferenceIncludingTies) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  // Integer values in [-2, 2]: exact in float, and full of equal-cost ties.
  const std::vector<int64_t> lengths = {1, 2, 31, 32, 33, 100, 600};
  for (const int channels : {1, 3}) {
    for (const Band band : bands()) {
      const Batch<T> a = random_batch<T>(rng, lengths, channels, true);
      const Batch<T> b = random_batch<T>(rng, lengths, channels, true);
      std::vector<PairIndex> pairs;
      for (int64_t i = 0; i < 7; ++i)
        for (int64_t j = 0; j < 7; ++j) pairs.push_back({i, j});
      const Options opt = with_band(band, true);  // squared: integer distances, exact
      const std::vector<Path> got = cuda::paths<T>(a.view(), b.view(), pairs, opt);
      ASSERT_EQ(got.size(), pairs.size());
      const Batch<double> ad = to_double(a), bd = to_double(b);
      for (std::size_t p = 0; p < pairs.size(); ++p) {
        const Path ref =
            reference_path(ad.view().series(pairs[p].a), bd.view().series(pairs[p].b), band, true);
        EXPECT_EQ(got[p].distance, ref.distance) << "pair " << p;
        EXPECT_EQ(got[p].steps, ref.steps)
            << "pair " << p << ": lengths " << lengths[pairs[p].a] << " x " << lengths[pairs[p].b]
            << ", channels " << channels;
      }
    }
  }
}

TYPED_TEST(DtwGpu, LongPathAndRandomValuedPaths) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const Batch<T> ints = random_batch<T>(rng, {4097, 4000}, 1, true);
  const Batch<double> id = to_double(ints);
  const std::vector<PairIndex> one = {{0, 1}};
  const Options opt = with_band(Band::full(), true);
  const std::vector<Path> got = cuda::paths<T>(ints.view(), ints.view(), one, opt);
  const Path ref = reference_path(id.view().series(0), id.view().series(1), Band::full(), true);
  EXPECT_EQ(got[0].distance, ref.distance);
  EXPECT_EQ(got[0].steps, ref.steps);
  // Random values (no ties): same path, distance within tolerance, sqrt applied.
  const Batch<T> real = random_batch<T>(rng, {300, 257}, 2);
  const Batch<double> rd = to_double(real);
  const std::vector<Path> p2 =
      cuda::paths<T>(real.view(), real.view(), one, with_band(Band::fraction(0.3)));
  const Path r2 =
      reference_path(rd.view().series(0), rd.view().series(1), Band::fraction(0.3), false);
  EXPECT_TRUE(close(static_cast<T>(p2[0].distance), r2.distance));
  EXPECT_EQ(p2[0].steps, r2.steps);
}

TYPED_TEST(DtwGpu, EmptySeriesAndNaN) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  Batch<T> batch = random_batch<T>(rng, {0, 0, 5, 7, 40}, 2);
  batch.values[static_cast<std::size_t>(batch.offsets[3] * 2 + 9)] =
      std::numeric_limits<T>::quiet_NaN();  // series 3, channel 1
  const std::vector<PairIndex> pairs = {{0, 1}, {0, 2}, {2, 1}, {2, 3},
                                        {3, 3}, {3, 4}, {2, 2}, {4, 2}};
  std::vector<T> out(pairs.size(), kPoison<T>);
  cuda::pairs<T>(batch.view(), batch.view(), pairs, out, with_band(Band::full()));
  const T inf = std::numeric_limits<T>::infinity();
  EXPECT_EQ(out[0], T(0));
  EXPECT_EQ(out[1], inf);
  EXPECT_EQ(out[2], inf);
  EXPECT_TRUE(std::isnan(out[3]));
  EXPECT_TRUE(std::isnan(out[4]));
  EXPECT_TRUE(std::isnan(out[5]));
  EXPECT_EQ(out[6], T(0));
  const Batch<double> bd = to_double(batch);
  EXPECT_TRUE(close(
      out[7], reference_distance(bd.view().series(4), bd.view().series(2), Band::full(), false)));
  const std::vector<Path> paths = cuda::paths<T>(batch.view(), batch.view(), pairs, {});
  EXPECT_EQ(paths[0].distance, 0.0);
  EXPECT_TRUE(paths[0].steps.empty());
  EXPECT_EQ(paths[1].distance, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(paths[1].steps.empty());
  EXPECT_TRUE(std::isnan(paths[3].distance));
  EXPECT_TRUE(paths[3].steps.empty());
  EXPECT_EQ(paths[6].steps.size(), 5u);  // the diagonal of a series with itself
}

TYPED_TEST(DtwGpu, RejectsBadInputsNamingThem) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const Batch<T> one = random_batch<T>(rng, {10, 20}, 1);
  const Batch<T> three = random_batch<T>(rng, {10, 20}, 3);
  std::vector<T> out(4);
  EXPECT_THROW(cuda::cross<T>(one.view(), three.view(), out, {}, false), InputError);
  std::vector<T> short_out(3);
  EXPECT_THROW(cuda::cross<T>(one.view(), one.view(), short_out, {}, false), InputError);
  const std::vector<PairIndex> bad = {{0, 2}};
  std::vector<T> single(1);
  EXPECT_THROW(cuda::pairs<T>(one.view(), one.view(), bad, single, {}), InputError);
  EXPECT_THROW(cuda::paths<T>(one.view(), one.view(), bad, {}), InputError);
  const std::vector<PairIndex> good = {{0, 1}};
  EXPECT_THROW(cuda::pairs<T>(one.view(), one.view(), good, single, with_band(Band::fraction(1.5))),
               InputError);
  // The one output span rule: a larger span is accepted and its tail left untouched.
  std::vector<T> roomy(5, kPoison<T>);
  cuda::pairs<T>(one.view(), one.view(), good, roomy, with_band(Band::full()));
  EXPECT_NE(roomy[0], kPoison<T>);
  for (std::size_t k = 1; k < roomy.size(); ++k) EXPECT_EQ(roomy[k], kPoison<T>) << k;
  std::vector<T> big(7, kPoison<T>);
  cuda::cross<T>(one.view(), one.view(), big, with_band(Band::full()), true);
  EXPECT_EQ(big[0], T(0));
  EXPECT_EQ(big[1], big[2]);
  for (std::size_t k = 4; k < big.size(); ++k) EXPECT_EQ(big[k], kPoison<T>) << k;
  std::vector<T> want(4), got(7, kPoison<T>);
  Options cpu = with_band(Band::full());
  cpu.backend = Backend::cpu;
  all_pairs<T>(one.view(), want, cpu);
  all_pairs<T>(one.view(), got, with_band(Band::full()));
  for (std::size_t k = 0; k < 4; ++k) EXPECT_TRUE(close(got[k], static_cast<double>(want[k])));
}

TYPED_TEST(DtwGpu, PublicApiWithCudaBackendMatchesCpu) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const Batch<T> batch = random_batch<T>(rng, {100, 250, 64, 33, 400, 1}, 3);
  const std::size_t n = batch.size();
  Options cpu = with_band(Band::fraction(0.25));
  cpu.backend = Backend::cpu;
  const Options gpu = with_band(Band::fraction(0.25));
  std::vector<T> want(n * n, kPoison<T>), got(n * n, kPoison<T>);
  all_pairs<T>(batch.view(), want, cpu);
  all_pairs<T>(batch.view(), got, gpu);
  for (std::size_t k = 0; k < n * n; ++k)
    EXPECT_TRUE(close(got[k], static_cast<double>(want[k]))) << "all_pairs element " << k;
  std::vector<T> want_row(n, kPoison<T>), got_row(n, kPoison<T>);
  one_vs_many<T>(batch.view().series(4), batch.view(), want_row, cpu);
  one_vs_many<T>(batch.view().series(4), batch.view(), got_row, gpu);
  for (std::size_t k = 0; k < n; ++k)
    EXPECT_TRUE(close(got_row[k], static_cast<double>(want_row[k]))) << "one_vs_many " << k;
}

/// a == b bit for bit, except that any NaN equals any NaN.
template <class T>
bool same_bits(T a, T b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

TYPED_TEST(DtwGpu, DeviceEqualsItsCpuEmulationBitForBit) {
  // The kernel body is one source (kernels/common/dtw_wavefront.hpp) with explicit fma: the CPU
  // emulation must give the device's bits, for every shape and channel variant.
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  constexpr int64_t long_len = 2 * detail::distance_shape<T>(1).rows() - 5;
  for (const int channels : {1, 2, 3, 5}) {
    const Batch<T> a = random_batch<T>(rng, {1, 7, 33, 100, long_len}, channels);
    const Batch<T> b = random_batch<T>(rng, {2, 31, 64, 300, long_len + 9}, channels);
    std::vector<PairIndex> pairs;
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 5; ++j) pairs.push_back({i, j});
    for (const Band band : {Band::full(), Band::samples(3), Band::fraction(0.3)}) {
      std::vector<T> got(pairs.size(), kPoison<T>);
      cuda::pairs<T>(a.view(), b.view(), pairs, got, with_band(band));
      detail::EmulationStats stats;
      const std::vector<T> want =
          detail::emulate_distances<T>(a.view(), b.view(), detail::kSourceList, pairs,
                                       static_cast<int64_t>(pairs.size()), band, false, 3, &stats);
      for (std::size_t p = 0; p < pairs.size(); ++p)
        EXPECT_TRUE(same_bits(got[p], want[p]))
            << "pair " << p << ", channels " << channels << ": device " << got[p] << ", emulation "
            << want[p];
    }
  }
}

TYPED_TEST(DtwGpu, AnyChannelPathsAndTwoChannelLargeShape) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  constexpr int rows = detail::paths_shape<T>().rows();
  for (const int channels : {2, 4, 6}) {  // 4 and 6: the any-channel paths kernel
    const Batch<T> a = random_batch<T>(rng, {rows + 40, 33, 5}, channels, true);
    const Batch<T> b = random_batch<T>(rng, {rows + 3, 70, 1}, channels, true);
    const std::vector<PairIndex> pairs = {{0, 0}, {0, 1}, {1, 0}, {2, 2}, {1, 1}};
    const Batch<double> ad = to_double(a), bd = to_double(b);
    for (const Band band : {Band::full(), Band::samples(2)}) {
      const std::vector<Path> got =
          cuda::paths<T>(a.view(), b.view(), pairs, with_band(band, true));
      for (std::size_t p = 0; p < pairs.size(); ++p) {
        const Path ref =
            reference_path(ad.view().series(pairs[p].a), bd.view().series(pairs[p].b), band, true);
        EXPECT_EQ(got[p].distance, ref.distance) << "pair " << p << ", channels " << channels;
        EXPECT_EQ(got[p].steps, ref.steps) << "pair " << p << ", channels " << channels;
      }
      if (channels == 2) {
        expect_pairs_match(a, b, pairs, with_band(band));  // the large shape, 2 channels
      }
    }
  }
}

TYPED_TEST(DtwGpu, MultiTileNarrowBandThroughTheUnmaskedBody) {
  // A band narrower than the series over several tiles of the large shape, through its unmasked
  // body (the CPU emulation counts the steps and the shape: tests/unit/dtw/
  // test_dtw_cuda_logic.cpp, MultiTileNarrowBandRunsTheUnmaskedBody*).
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  for (const int channels : {1, 2, 3}) {
    const Batch<T> a = random_batch<T>(rng, {1024, 1536}, channels);
    const Batch<T> b = random_batch<T>(rng, {1030, 1541}, channels);
    expect_pairs_match(a, b, {{0, 0}, {1, 1}, {1, 0}},
                       with_band(Band::samples(sizeof(T) == 4 ? 500 : 420)));
  }
}

TYPED_TEST(DtwGpu, SmallChunksBoundaryClampAndAReusedWorkspace) {
  // chunk_pairs = 7: every mode runs in many chunks (both result slots, the pipelined copy-out);
  // boundary_bytes = 1: one block's worth of groups, each taking many items (the clamp's floor).
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  Workspace ws(Workspace::Limits{.chunk_pairs = 7, .boundary_bytes = 1, .direction_bytes = 4096});
  const Batch<T> batch = random_batch<T>(rng, {40, 1, 0, 600, 129, 77, 2, 1100, 33, 5, 260}, 2);
  const Batch<double> bd = to_double(batch);
  const std::size_t n = batch.size();
  for (const Band band : {Band::full(), Band::fraction(0.2)}) {
    Options opt = with_band(band);
    opt.workspace = &ws;
    std::vector<T> out(n * n, kPoison<T>);
    cuda::cross<T>(batch.view(), batch.view(), out, opt, true);
    std::vector<T> crossed(n * n, kPoison<T>);
    cuda::cross<T>(batch.view(), batch.view(), crossed, opt, false);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        const double ref =
            i == j ? 0.0
                   : reference_distance(bd.view().series(i), bd.view().series(j), band, false);
        EXPECT_TRUE(close(out[i * n + j], ref)) << "all-pairs (" << i << ", " << j << ")";
        EXPECT_TRUE(close(crossed[i * n + j], ref)) << "cross (" << i << ", " << j << ")";
      }
    std::vector<PairIndex> pairs;
    for (int64_t p = 0; p < 40; ++p)
      pairs.push_back({p % static_cast<int64_t>(n), (p * 7) % static_cast<int64_t>(n)});
    expect_pairs_match(batch, batch, pairs, opt);
  }
  EXPECT_GT(ws.timings().chunks, 20);
  EXPECT_GT(ws.timings().kernel_seconds, 0.0);
  EXPECT_GT(ws.device_bytes(), 0u);
  // The same workspace serves the other precision and paths (direction chunks of 4 KiB).
  const Batch<double> ints = random_batch<double>(rng, {300, 257, 31}, 1, true);
  Options opt = with_band(Band::full(), true);
  opt.workspace = &ws;
  const std::vector<PairIndex> two = {{0, 1}, {2, 0}, {1, 1}};
  const std::vector<Path> got = cuda::paths<double>(ints.view(), ints.view(), two, opt);
  for (std::size_t p = 0; p < two.size(); ++p) {
    const Path ref = reference_path(ints.view().series(two[p].a), ints.view().series(two[p].b),
                                    Band::full(), true);
    EXPECT_EQ(got[p].distance, ref.distance);
    EXPECT_EQ(got[p].steps, ref.steps);
  }
}

TYPED_TEST(DtwGpu, AllPairsOfManySeriesCrossesTheDefaultChunk) {
  // 3000 series: 4 498 500 pairs, more than the default chunk (2^22); 16-frame series keep it
  // quick. Checks a sample against the reference and every element for the poison.
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  std::uniform_int_distribution<int64_t> len(1, 16);
  std::vector<int64_t> lengths(3000);
  for (auto& l : lengths) l = len(rng);
  const Batch<T> batch = random_batch<T>(rng, lengths, 1);
  const Batch<double> bd = to_double(batch);
  const std::size_t n = batch.size();
  std::vector<T> out(n * n, kPoison<T>);
  Workspace ws;
  Options opt = with_band(Band::full());
  opt.workspace = &ws;
  all_pairs<T>(batch.view(), out, opt);
  EXPECT_EQ(ws.timings().chunks, 2);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  for (int s = 0; s < 2000; ++s) {
    const std::size_t i = pick(rng), j = pick(rng);
    const double ref =
        i == j ? 0.0 : reference_distance(bd.view().series(i), bd.view().series(j), {}, false);
    ASSERT_TRUE(close(out[i * n + j], ref)) << "(" << i << ", " << j << ")";
  }
  for (std::size_t k = 0; k < out.size(); ++k) ASSERT_NE(out[k], kPoison<T>) << k;
}

TYPED_TEST(DtwGpu, NonFiniteInputsGiveNaN) {
  // x = y = [inf, 0]: inf - inf is NaN, which fmin would drop; the contract says NaN.
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  const T inf = std::numeric_limits<T>::infinity();
  Batch<T> batch(1);
  batch.push_back(std::vector<T>{inf, 0}, 2);
  batch.push_back(std::vector<T>{-inf, 1, 2}, 3);
  batch.push_back(std::vector<T>{0, 1}, 2);
  const std::vector<PairIndex> pairs = {{0, 0}, {0, 2}, {1, 2}, {2, 2}};
  std::vector<T> out(pairs.size(), kPoison<T>);
  cuda::pairs<T>(batch.view(), batch.view(), pairs, out, with_band(Band::full()));
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_EQ(out[3], T(0));
  const std::vector<Path> paths = cuda::paths<T>(batch.view(), batch.view(), pairs, {});
  EXPECT_TRUE(std::isnan(paths[0].distance));
  EXPECT_TRUE(paths[0].steps.empty());
}

TYPED_TEST(DtwGpu, KnnWithCudaBackendEqualsCpu) {
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  std::uniform_int_distribution<int64_t> len(20, 90);
  std::vector<int64_t> lq(12), ll(50);
  for (auto& l : lq) l = len(rng);
  for (auto& l : ll) l = len(rng);
  const Batch<T> queries = random_batch<T>(rng, lq, 2);
  const Batch<T> library = random_batch<T>(rng, ll, 2);
  Options cpu = with_band(Band::fraction(0.1));
  cpu.backend = Backend::cpu;
  const Options gpu = with_band(Band::fraction(0.1));
  KnnStats st;
  const auto want = knn<T>(queries.view(), library.view(), 4, cpu);
  const auto got = knn<T>(queries.view(), library.view(), 4, gpu, &st);
  EXPECT_EQ(st.full_dtw, 12 * 50);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t q = 0; q < got.size(); ++q) {
    ASSERT_EQ(got[q].size(), 4u);
    for (std::size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(got[q][k].index, want[q][k].index) << "query " << q << " rank " << k;
      EXPECT_TRUE(close(static_cast<T>(got[q][k].distance), want[q][k].distance));
    }
  }
}

TYPED_TEST(DtwGpu, ConcurrentHostThreads) {
  // Four threads with their own workspaces, four more sharing one (their calls serialize).
  using T = TypeParam;
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const Batch<T> batch = random_batch<T>(rng, {50, 300, 7, 128, 1000, 64, 33, 512}, 1);
  const std::size_t n = batch.size();
  std::vector<T> want(n * n);
  Options cpu = with_band(Band::fraction(0.5));
  cpu.backend = Backend::cpu;
  all_pairs<T>(batch.view(), want, cpu);
  Workspace shared;
  std::vector<std::vector<T>> outs(8, std::vector<T>(n * n, kPoison<T>));
  std::vector<Workspace> own(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      Options opt = with_band(Band::fraction(0.5));
      opt.workspace = t < 4 ? &own[static_cast<std::size_t>(t)] : &shared;
      for (int rep = 0; rep < 3; ++rep)
        all_pairs<T>(batch.view(), outs[static_cast<std::size_t>(t)], opt);
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t)
    for (std::size_t k = 0; k < n * n; ++k)
      EXPECT_TRUE(close(outs[static_cast<std::size_t>(t)][k], static_cast<double>(want[k])))
          << "thread " << t << " element " << k;
}

TEST(DtwGpuCli, KnnWithBackendCudaEqualsCpu) {
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  test::TempDir dir;
  // UCR-format files (label, then the values, tab-separated), 60 frames per series.
  auto write = [&](const std::string& name, int count) {
    std::ofstream f(dir / name);
    for (int s = 0; s < count; ++s) {
      f << 1 + s % 2;
      for (const double x : test::random_values(rng, 60)) f << '\t' << x;
      f << '\n';
    }
    return (dir / name).string();
  };
  const std::string q = write("q.tsv", 7), r = write("r.tsv", 40);
  const std::string args = "-q --json dtw --query " + q + " --refs " + r + " --knn 3 --band 6";
  std::string cpu_out, gpu_out;
  ASSERT_EQ(test::run_cli(args + " --backend cpu", &cpu_out), 0) << cpu_out;
  ASSERT_EQ(test::run_cli(args + " --backend cuda", &gpu_out), 0) << gpu_out;
  const auto cpu = nlohmann::json::parse(cpu_out), gpu = nlohmann::json::parse(gpu_out);
  EXPECT_EQ(gpu["backend"], "cuda");
  ASSERT_EQ(gpu["results"].size(), 7u);
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t k = 0; k < 3; ++k) {
      const auto& g = gpu["results"][i]["neighbors"][k];
      const auto& c = cpu["results"][i]["neighbors"][k];
      EXPECT_EQ(g["index"], c["index"]) << "query " << i << " rank " << k;
      EXPECT_NEAR(g["distance"].get<double>(), c["distance"].get<double>(),
                  1e-12 * std::max(1.0, c["distance"].get<double>()));
    }
}

}  // namespace
}  // namespace swingpipe::dtw
