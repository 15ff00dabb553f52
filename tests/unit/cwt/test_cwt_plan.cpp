// Plans and the plan cache, streaming in tiles (identical bits to the in-memory transform),
// outputs, channels, edge cases and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstring>
#include <fstream>
#include <limits>
#include <thread>
#include <vector>

#include "cwt_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/cwt.hpp"
#include "test_support.hpp"

namespace swingpipe::cwt {
namespace {

using test_util::reference;
using test_util::row_error;

Spec spec_of(int64_t n, std::vector<double> freqs, Precision p = Precision::float64,
             int64_t block = 0) {
  return {.length = n,
          .frequencies = std::move(freqs),
          .omega0 = 6.0,
          .sample_rate = 100.0,
          .precision = p,
          .block_size = block,
          .planning = Planning::estimate};
}

template <class V>
bool same_bits(const std::vector<V>& a, const std::vector<V>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(V)) == 0;
}

TEST(CwtPlanCache, SecondLookupHits) {
  PlanCache cache(4);
  const Spec spec = spec_of(1000, geometric_frequencies(1, 40, 16));
  auto a = cache.get(spec);
  EXPECT_EQ(cache.stats().misses, 1);
  EXPECT_EQ(cache.stats().hits, 0);
  auto b = cache.get(spec);
  EXPECT_EQ(cache.stats().hits, 1);
  EXPECT_EQ(cache.stats().misses, 1);
  EXPECT_EQ(a.get(), b.get());
  // Any parameter that changes the values is part of the key.
  Spec other = spec;
  other.omega0 = 7.0;
  EXPECT_NE(cache.get(other).get(), a.get());
  other = spec;
  other.precision = Precision::float32;
  EXPECT_NE(cache.get(other).get(), a.get());
  other = spec;
  other.frequencies[3] = std::nextafter(other.frequencies[3], 100.0);
  EXPECT_NE(cache.get(other).get(), a.get());
  EXPECT_EQ(cache.stats().misses, 4);
  EXPECT_EQ(cache.stats().size, 4u);
}

TEST(CwtPlanCache, BoundedLeastRecentlyUsed) {
  PlanCache cache(2);
  const Spec s1 = spec_of(100, {10}), s2 = spec_of(200, {10}), s3 = spec_of(300, {10});
  auto p1 = cache.get(s1);
  cache.get(s2);
  cache.get(s1);  // s1 most recent: s2 goes first
  cache.get(s3);
  EXPECT_EQ(cache.stats().evictions, 1);
  EXPECT_EQ(cache.stats().size, 2u);
  EXPECT_EQ(cache.get(s1).get(), p1.get());  // still cached
  const auto before = cache.stats().misses;
  cache.get(s2);  // was evicted
  EXPECT_EQ(cache.stats().misses, before + 1);
  EXPECT_THROW(PlanCache(0), InputError);
}

TEST(CwtPlanCache, ConcurrentUsersShareOnePlan) {
  PlanCache cache(2);
  const Spec spec = spec_of(500, geometric_frequencies(2, 30, 8));
  auto rng = test::fresh_rng();
  const std::vector<double> x = test::random_values(rng, 500);
  std::vector<std::vector<double>> outs(4, std::vector<double>(8 * 500));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto plan = cache.get(spec);
      transform<double>(*plan, {x.data(), 500, 1}, Output::power, outs[t], {.threads = 1});
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(cache.stats().misses, 1);
  EXPECT_EQ(cache.stats().hits, 3);
  for (int t = 1; t < 4; ++t) EXPECT_TRUE(same_bits(outs[t], outs[0]));
}

TEST(CwtPlan, FftwWisdomRoundTrip) {
  test::TempDir dir;
  EXPECT_FALSE(import_fftw_wisdom(dir / "none"));
  Spec s = spec_of(3000, {5.0, 20.0});
  s.planning = Planning::measure;
  const Plan measured(s);
  export_fftw_wisdom(dir / "w");
  EXPECT_TRUE(import_fftw_wisdom(dir / "w"));
  std::ofstream(dir / "bad") << "hello";
  EXPECT_THROW(import_fftw_wisdom(dir / "bad"), InputError);
  EXPECT_THROW(export_fftw_wisdom(dir / "missing-folder" / "w"), StorageError);
}

TEST(CwtPlan, GeometryAndBands) {
  const Plan one(spec_of(1000, geometric_frequencies(1, 40, 16)));
  EXPECT_EQ(one.geometry().blocks, 1);
  EXPECT_EQ(one.geometry().step, 1000);
  EXPECT_EQ(one.geometry().offset, 0);
  EXPECT_GE(one.geometry().fft_size, 1000);
  const Plan many(spec_of(1 << 20, geometric_frequencies(1, 40, 16)));
  EXPECT_GT(many.geometry().blocks, 1);
  EXPECT_EQ(many.geometry().fft_size, many.geometry().step + 2 * many.geometry().offset);
  EXPECT_GE(many.geometry().offset, static_cast<int64_t>(9 * many.scales()[0]));  // widest scale
  // The band of a wide scale is narrow: far fewer bins than the FFT.
  EXPECT_LT(many.band_width(0) * 20, many.geometry().fft_size);
  EXPECT_GT(many.band_width(15), many.band_width(0));
  EXPECT_THROW(many.band_width(16), InputError);
}

TEST(CwtTiles, IdenticalBitsToTransformAndAcrossBudgetsAndThreads) {
  auto rng = test::fresh_rng();
  const int64_t n = 20000;
  const int C = 3;
  const std::vector<double> freqs = geometric_frequencies(2, 45, 12);
  const Plan plan(spec_of(n, freqs, Precision::float32, 2048));
  ASSERT_GT(plan.geometry().blocks, 5);
  std::vector<float> x = test::random_values<float>(rng, static_cast<std::size_t>(C * n));
  const SeriesRef<float> xs{x.data(), n, C};
  std::vector<std::complex<float>> whole(static_cast<std::size_t>(C) * freqs.size() * n);
  transform<float>(plan, xs, whole);
  for (std::size_t budget : {std::size_t{1}, std::size_t{300000}, std::size_t{1} << 30}) {
    for (int threads : {1, 2, 3}) {
      std::vector<std::complex<float>> tiled(whole.size());
      int64_t next = 0;
      transform_tiles<float>(
          plan, xs,
          [&](int64_t t0, int64_t count, std::span<const std::complex<float>> tile) {
            EXPECT_EQ(t0, next);
            next = t0 + count;
            ASSERT_EQ(tile.size(), static_cast<std::size_t>(C) * freqs.size() * count);
            for (std::size_t row = 0; row < C * freqs.size(); ++row)
              std::copy(tile.begin() + row * count, tile.begin() + (row + 1) * count,
                        tiled.begin() + row * n + t0);
          },
          {.threads = threads, .memory_budget = budget});
      EXPECT_EQ(next, n);
      EXPECT_TRUE(same_bits(tiled, whole)) << "budget " << budget << " threads " << threads;
      std::vector<std::complex<float>> again(whole.size());
      transform<float>(plan, xs, again, {.threads = threads, .memory_budget = budget});
      EXPECT_TRUE(same_bits(again, whole)) << "budget " << budget << " threads " << threads;
    }
  }
}

TEST(CwtTiles, BlockedMatchesUnblockedTransform) {
  auto rng = test::fresh_rng();
  const int64_t n = 30000;
  const std::vector<double> freqs = geometric_frequencies(2, 40, 10);
  const std::vector<double> x = test::random_values(rng, n);
  const Plan one(spec_of(n, freqs, Precision::float64, int64_t{1} << 20));
  const Plan blocked(spec_of(n, freqs, Precision::float64, 4096));
  ASSERT_EQ(one.geometry().blocks, 1);
  ASSERT_GT(blocked.geometry().blocks, 5);
  std::vector<std::complex<double>> a(freqs.size() * n), b(a.size());
  transform<double>(one, {x.data(), n, 1}, a);
  transform<double>(blocked, {x.data(), n, 1}, b);
  for (std::size_t i = 0; i < freqs.size(); ++i)
    EXPECT_LE(
        row_error(
            b.data() + i * n,
            std::vector<std::complex<double>>(a.begin() + i * n, a.begin() + (i + 1) * n).data(),
            n),
        1e-12);
}

TEST(CwtOutput, PowerAndMagnitudeOfTheComplexTransform) {
  auto rng = test::fresh_rng();
  for (Precision p : {Precision::float32, Precision::float64}) {
    const int64_t n = 3000;
    const Plan plan(spec_of(n, geometric_frequencies(3, 49, 9), p, 1024));
    const std::vector<double> x = test::random_values(rng, n);
    if (p == Precision::float64) {
      std::vector<std::complex<double>> w(9 * n);
      std::vector<double> pw(9 * n), mg(9 * n);
      transform<double>(plan, {x.data(), n, 1}, w);
      transform<double>(plan, {x.data(), n, 1}, Output::power, pw);
      transform<double>(plan, {x.data(), n, 1}, Output::magnitude, mg);
      for (std::size_t k = 0; k < w.size(); ++k) {
        EXPECT_DOUBLE_EQ(pw[k], std::norm(w[k]));
        EXPECT_NEAR(mg[k], std::abs(w[k]), 1e-15 * (1 + std::abs(w[k])));
      }
    } else {
      std::vector<float> xf(x.begin(), x.end());
      std::vector<std::complex<float>> w(9 * n);
      std::vector<float> pw(9 * n), mg(9 * n);
      transform<float>(plan, {xf.data(), n, 1}, w);
      transform<float>(plan, {xf.data(), n, 1}, Output::power, pw);
      transform<float>(plan, {xf.data(), n, 1}, Output::magnitude, mg);
      for (std::size_t k = 0; k < w.size(); ++k) {
        EXPECT_FLOAT_EQ(pw[k], std::norm(w[k]));
        EXPECT_NEAR(mg[k], std::abs(w[k]), 1e-6f * (1 + std::abs(w[k])));
      }
    }
  }
}

TEST(CwtChannels, EachChannelAsAlone) {
  auto rng = test::fresh_rng();
  const int64_t n = 1500;
  const int C = 4;
  const std::vector<double> freqs = geometric_frequencies(2, 40, 6);
  const Plan plan(spec_of(n, freqs));
  const std::vector<double> x = test::random_values(rng, C * n);
  std::vector<double> all(C * 6 * n);
  transform<double>(plan, {x.data(), n, C}, Output::power, all);
  for (int c = 0; c < C; ++c) {
    std::vector<double> one(6 * n);
    transform<double>(plan, {x.data() + c * n, n, 1}, Output::power, one);
    EXPECT_TRUE(std::equal(one.begin(), one.end(), all.begin() + c * 6 * n));
  }
}

TEST(CwtEdges, NanOrInfChannelIsNanOthersUntouched) {
  auto rng = test::fresh_rng();
  const int64_t n = 700;
  const Plan plan(spec_of(n, geometric_frequencies(2, 40, 5), Precision::float64, 1024));
  std::vector<double> x = test::random_values(rng, 3 * n);
  x[n + 345] = std::numeric_limits<double>::quiet_NaN();
  x[2 * n + 3] = std::numeric_limits<double>::infinity();
  std::vector<std::complex<double>> out(3 * 5 * n);
  transform<double>(plan, {x.data(), n, 3}, out);
  for (int64_t k = 0; k < 5 * n; ++k) ASSERT_TRUE(std::isfinite(out[k].real()));
  for (int64_t k = 5 * n; k < 15 * n; ++k)
    ASSERT_TRUE(std::isnan(out[k].real()) && std::isnan(out[k].imag())) << k;
  std::vector<double> alone(5 * n);
  transform<double>(plan, {x.data(), n, 1}, Output::power, alone);
  for (int64_t k = 0; k < 5 * n; ++k) EXPECT_DOUBLE_EQ(alone[k], std::norm(out[k]));
}

TEST(CwtEdges, EmptyAndLengthOne) {
  const Plan empty(spec_of(0, {5.0}));
  std::vector<std::complex<double>> none;
  transform<double>(empty, {nullptr, 0, 1}, none);
  EXPECT_EQ(empty.geometry().blocks, 0);
  const Plan one(spec_of(1, {1.0, 10.0, 49.0}));
  const double x = 0.75;
  std::vector<std::complex<double>> out(3);
  transform<double>(one, {&x, 1, 1}, out);
  for (int i = 0; i < 3; ++i) {  // W[0] = s^-1/2 pi^-1/4 x[0]
    const double s = one.scales()[i];
    EXPECT_NEAR(out[i].real(), x * std::pow(M_PI, -0.25) / std::sqrt(s), 1e-15);
    EXPECT_NEAR(out[i].imag(), 0.0, 1e-15);
  }
}

/// x scaled by 2^k gives outputs scaled by 2^k (power 2^2k) bit for bit: no step of the transform
/// (FFTs, bank products, power, magnitude) overflows or loses bits on huge or tiny inputs.
template <class T>
void check_power_of_two_scaling(int k, int64_t n, int64_t block) {
  auto rng = test::fresh_rng();
  const Plan plan(spec_of(n, geometric_frequencies(5, 45, 6), precision_of<T>(), block));
  const std::vector<double> xd = test::random_values(rng, static_cast<std::size_t>(2 * n));
  std::vector<T> x(xd.begin(), xd.end()), big(x);
  for (T& v : big) v = std::ldexp(v, k);
  std::vector<std::complex<T>> w(2 * 6 * n), wb(w.size());
  transform<T>(plan, {x.data(), n, 2}, w);
  transform<T>(plan, {big.data(), n, 2}, wb);
  for (auto& v : w) v = {std::ldexp(v.real(), k), std::ldexp(v.imag(), k)};
  EXPECT_TRUE(same_bits(w, wb)) << "2^" << k;
  std::vector<T> p(w.size()), pb(w.size()), m(w.size()), mb(w.size());
  transform<T>(plan, {x.data(), n, 2}, Output::power, p);
  transform<T>(plan, {big.data(), n, 2}, Output::power, pb);
  transform<T>(plan, {x.data(), n, 2}, Output::magnitude, m);
  transform<T>(plan, {big.data(), n, 2}, Output::magnitude, mb);
  for (std::size_t i = 0; i < p.size(); ++i) {
    ASSERT_TRUE(std::isfinite(pb[i]) && std::isfinite(mb[i])) << i;
    ASSERT_EQ(std::ldexp(p[i], 2 * k), pb[i]) << "2^" << k << " at " << i;
    ASSERT_EQ(std::ldexp(m[i], k), mb[i]) << "2^" << k << " at " << i;
  }
}

TEST(CwtEdges, HugeAndTinyInputsScaleExactly) {
  check_power_of_two_scaling<double>(500, 3000, 0);      // ~1e150: power ~1e301, finite
  check_power_of_two_scaling<double>(-400, 3000, 1024);  // ~1e-120, many blocks
  check_power_of_two_scaling<float>(56, 3000, 0);        // ~7e16: power ~5e33, finite
  check_power_of_two_scaling<float>(-40, 3000, 1024);
}

TEST(CwtErrors, BadSpecsAndCalls) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(Plan(spec_of(10, {})), InputError);
  EXPECT_THROW(Plan(spec_of(10, {0.0})), InputError);
  EXPECT_THROW(Plan(spec_of(10, {-1.0})), InputError);
  EXPECT_THROW(Plan(spec_of(10, {nan})), InputError);
  EXPECT_THROW(Plan(spec_of(-1, {1.0})), InputError);
  Spec s = spec_of(10, {1.0});
  s.omega0 = 0;
  EXPECT_THROW(Plan{s}, InputError);
  s = spec_of(10, {1.0});
  s.sample_rate = nan;
  EXPECT_THROW(Plan{s}, InputError);
  // A forced block smaller than twice the wavelet support of the lowest frequency.
  EXPECT_THROW(Plan(spec_of(100000, {0.5}, Precision::float64, 1024)), InputError);
  EXPECT_THROW(geometric_frequencies(0, 10, 5), InputError);
  EXPECT_THROW(geometric_frequencies(5, 1, 5), InputError);
  EXPECT_THROW(geometric_frequencies(1, 10, 0), InputError);
  EXPECT_THROW(parse_output("phase"), InputError);
  EXPECT_THROW(parse_precision("float16"), InputError);

  const Plan plan(spec_of(10, {5.0, 10.0}));
  std::vector<double> x(10, 1.0), longer(11, 1.0);
  std::vector<float> xf(10, 1.0f);
  std::vector<std::complex<double>> out(20), small(19), out22(22);
  std::vector<std::complex<float>> outf(20);
  std::vector<double> pw(20);
  EXPECT_THROW(transform<double>(plan, {longer.data(), 11, 1}, out22), InputError);  // too long
  EXPECT_THROW(transform<double>(plan, {x.data(), 9, 1}, out), InputError);     // output for 10
  EXPECT_THROW(transform<double>(plan, {x.data(), 10, 1}, small), InputError);  // output size
  EXPECT_THROW(transform<float>(plan, {xf.data(), 10, 1}, outf), InputError);   // precision
  EXPECT_THROW(transform<double>(plan, {x.data(), 10, 1}, Output::complex, pw), InputError);
  EXPECT_THROW(transform_tiles<double>(plan, {x.data(), 10, 1}, TileSink<std::complex<double>>{}),
               InputError);
  EXPECT_THROW(cross<double>(plan, x, std::span<const double>(x).first(9), out), InputError);
}

TEST(CwtCross, ProductOfTheTwoTransforms) {
  auto rng = test::fresh_rng();
  const int64_t n = 2500;
  const std::vector<double> freqs = geometric_frequencies(3, 40, 7);
  const Plan plan(spec_of(n, freqs, Precision::float64, 1024));
  const std::vector<double> x = test::random_values(rng, n), y = test::random_values(rng, n);
  std::vector<std::complex<double>> wx(7 * n), wy(7 * n), wxy(7 * n);
  std::vector<double> pxy(7 * n);
  transform<double>(plan, {x.data(), n, 1}, wx);
  transform<double>(plan, {y.data(), n, 1}, wy);
  cross<double>(plan, x, y, wxy);
  cross<double>(plan, x, y, Output::power, pxy);
  for (int64_t k = 0; k < 7 * n; ++k) {
    const auto want = wx[k] * std::conj(wy[k]);
    EXPECT_NEAR(std::abs(wxy[k] - want), 0.0, 1e-14 * (1 + std::abs(want)));
    EXPECT_NEAR(pxy[k], std::abs(want), 1e-14 * (1 + std::abs(want)));
  }
  // Pairs from a multichannel transform.
  std::vector<double> both(x);
  both.insert(both.end(), y.begin(), y.end());
  std::vector<std::complex<double>> w2(2 * 7 * n), prods(2 * 7 * n);
  transform<double>(plan, {both.data(), n, 2}, w2);
  const std::vector<std::pair<int, int>> pairs{{0, 1}, {1, 0}};
  cross_products<double>(w2, 2, 7, n, pairs, prods);
  for (int64_t k = 0; k < 7 * n; ++k) {
    EXPECT_EQ(prods[k], wxy[k]);
    EXPECT_NEAR(std::abs(prods[7 * n + k] - std::conj(wxy[k])), 0.0,
                1e-14 * (1 + std::abs(wxy[k])));
  }
  const std::vector<std::pair<int, int>> bad{{0, 2}};
  std::vector<std::complex<double>> one(7 * n);
  EXPECT_THROW(cross_products<double>(w2, 2, 7, n, bad, one), InputError);
  EXPECT_THROW(cross<double>(plan, x, y, Output::magnitude, pxy), InputError);
}

}  // namespace
}  // namespace swingpipe::cwt
