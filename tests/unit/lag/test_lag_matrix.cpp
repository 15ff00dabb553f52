// The lag matrix (lag.hpp) on the CPU: exact known delays, the brute-force reference, batches,
// threads, the plan cache and every edge case of the contract.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "../../kernels/common/lag_math.hpp"
#include "lag_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/lag.hpp"
#include "test_support.hpp"

namespace swingpipe::lag {
namespace {

using test_util::delayed_channels;
using test_util::invariants;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- the shared per-element rules
// ----------------------------------------------------------------

TEST(LagMath, WindowIndexAndPairOrder) {
  EXPECT_EQ(detail::effective_max_lag(10, -1), 9);
  EXPECT_EQ(detail::effective_max_lag(10, 3), 3);
  EXPECT_EQ(detail::effective_max_lag(10, 50), 9);
  EXPECT_EQ(detail::effective_max_lag(0, 5), 0);
  EXPECT_EQ(detail::lag_index(-3, 16), 13);
  EXPECT_EQ(detail::lag_index(3, 16), 3);
  for (int n = 2; n <= 9; ++n) {
    int64_t p = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j, ++p) {
        int a = -1, b = -1;
        detail::pair_of(p, n, a, b);
        EXPECT_EQ(a, i) << n << " " << p;
        EXPECT_EQ(b, j) << n << " " << p;
      }
  }
}

TEST(LagMath, PairEntryRules) {
  const detail::ChannelInfo varies{4.0, 1.0, true, 4}, flat{0.0, 1e-10, true, 4},
      nan{0.0, 0.0, false, 4}, empty{0.0, 0.0, true, 0};
  const auto e = detail::pair_entry(varies, varies, 3, 2.0, kMinStd);
  EXPECT_EQ(e.lag_samples, -3.0);
  EXPECT_EQ(e.mirror, 3.0);
  EXPECT_DOUBLE_EQ(e.correlation, 0.5);
  const auto zero = detail::pair_entry(varies, varies, 0, 4.0, kMinStd);
  EXPECT_FALSE(std::signbit(zero.lag_samples));
  EXPECT_FALSE(std::signbit(zero.mirror));
  const auto constant = detail::pair_entry(varies, flat, 7, 1.0, kMinStd);
  EXPECT_EQ(constant.lag_samples, 0.0);
  EXPECT_TRUE(std::isnan(constant.correlation));
  for (const auto& bad : {nan, empty}) {
    const auto b = detail::pair_entry(bad, varies, 7, 1.0, kMinStd);
    EXPECT_TRUE(std::isnan(b.lag_samples));
    EXPECT_TRUE(std::isnan(b.mirror));
    EXPECT_TRUE(std::isnan(b.correlation));
  }
  EXPECT_EQ(detail::scale_exponent(0.75), 0);
  EXPECT_EQ(detail::scale_exponent(1.0), 1);
  EXPECT_EQ(detail::scale_exponent(1e300), 997);
  EXPECT_EQ(detail::scale_exponent(0.0), 0);
}

TEST(LagMath, FftSizeIsAFastSizeAtLeastN) {
  auto fast = [](int64_t v) {
    if (v % 3 == 0)
      v /= 3;
    else if (v % 5 == 0)
      v /= 5;
    return (v & (v - 1)) == 0;
  };
  for (int64_t n = 1; n <= 70000; n += (n < 5000 ? 1 : 97)) {
    const int64_t s = fft_size(n);
    ASSERT_GE(s, n);
    ASSERT_LE(s, std::max<int64_t>(2 * n, 1)) << n;
    ASSERT_TRUE(fast(s)) << n << " -> " << s;
  }
  EXPECT_EQ(fft_size(3999), 4096);  // all lags of 2000 frames
  EXPECT_EQ(fft_size(4097), 5120);  // 5 * 2^10 beats 8192
  EXPECT_EQ(fft_size(1), 1);
  EXPECT_THROW(fft_size(0), InputError);
}

// ---- values
// ----------------------------------------------------------------------------------------

template <class T>
class LagTyped : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(LagTyped, Types);

TYPED_TEST(LagTyped, DelayedCopiesGiveTheirExactDelays) {
  using T = TypeParam;
  auto rng = test::fresh_rng();
  std::uniform_int_distribution<int64_t> delay_of(0, 40);
  for (const int64_t length : {97, 240, 1000, 2001}) {
    std::vector<int64_t> delay(6);
    for (auto& d : delay) d = delay_of(rng);
    const auto values = test_util::cast<T>(delayed_channels(rng, length, delay));
    const double fs = 240;
    const Matrix m = matrix<T>({values.data(), length, 6}, fs);
    ASSERT_TRUE(invariants(m, fs));
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        // Channel j lags channel i by delay[j] - delay[i] samples.
        EXPECT_EQ(m.samples(i, j), static_cast<double>(delay[j] - delay[i]))
            << "length " << length << " pair " << i << "," << j;
        EXPECT_DOUBLE_EQ(m.seconds(i, j), static_cast<double>(delay[j] - delay[i]) / fs);
        // The peak value is the float64 brute force's on the same (type-rounded) samples. It is
        // normalized over all m samples while only m - |d| overlap, so it falls with the delay;
        // a bound such as (m - |d|) / m - 0.2 is only likely, not certain, on short noise.
        const std::vector<double> xi(values.begin() + i * length,
                                     values.begin() + (i + 1) * length),
            xj(values.begin() + j * length, values.begin() + (j + 1) * length);
        const PairLag ref = reference_pair(xi, xj, fs);
        const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
        EXPECT_EQ(-ref.lag + 0.0, static_cast<double>(delay[j] - delay[i]));
        EXPECT_NEAR(m.corr(i, j), ref.correlation, tol)
            << "length " << length << " pair " << i << "," << j;
        EXPECT_GT(m.corr(i, j), 0.0);
      }
    EXPECT_TRUE(m.nan_channels.empty());
  }
}

/// Mean-removed Pearson correlation at lag 0, for max_lag = 0.
double pearson(const double* x, const double* y, int64_t n) {
  double mx = 0, my = 0;
  for (int64_t t = 0; t < n; ++t) mx += x[t], my += y[t];
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (int64_t t = 0; t < n; ++t) {
    sxy += (x[t] - mx) * (y[t] - my);
    sxx += (x[t] - mx) * (x[t] - mx);
    syy += (y[t] - my) * (y[t] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

TEST(LagMatrix, EqualsTheBruteForceReferenceOnRandomSignals) {
  auto rng = test::fresh_rng();
  std::uniform_int_distribution<int64_t> len_of(1, 400);
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t length = len_of(rng);
    const int n = 5;
    const auto values = test::random_values<double>(rng, static_cast<std::size_t>(length * n));
    for (const int64_t max_lag : {int64_t{-1}, int64_t{0}, int64_t{7}, length / 3}) {
      const Matrix m = matrix<double>({values.data(), length, n}, 100.0, {.max_lag = max_lag});
      ASSERT_TRUE(invariants(m, 100.0));
      for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j) {
          const std::span<const double> x(values.data() + i * length, length),
              y(values.data() + j * length, length);
          const PairLag ref = reference_pair(x, y, 100.0, max_lag);
          EXPECT_EQ(-m.samples(i, j) + 0.0, ref.lag) << length << " " << max_lag;
          if (length > 1) {
            EXPECT_NEAR(m.corr(i, j), ref.correlation, 1e-12);
            if (max_lag == 0) {
              EXPECT_NEAR(m.corr(i, j), pearson(x.data(), y.data(), length), 1e-12);
            }
            if (max_lag >= 0) {
              EXPECT_LE(std::fabs(ref.lag), static_cast<double>(max_lag));
            }
          }
        }
    }
  }
}

/// The normalized correlation of mean-removed x, y at lag k (direct sum).
double correlation_at(std::span<const double> x, std::span<const double> y, int64_t k) {
  const auto m = static_cast<int64_t>(x.size());
  double mx = 0, my = 0;
  for (int64_t t = 0; t < m; ++t) mx += x[t], my += y[t];
  mx /= static_cast<double>(m);
  my /= static_cast<double>(m);
  double c = 0, sxx = 0, syy = 0;
  for (int64_t t = 0; t < m; ++t) {
    sxx += (x[t] - mx) * (x[t] - mx);
    syy += (y[t] - my) * (y[t] - my);
    if (t + k >= 0 && t + k < m) c += (x[t + k] - mx) * (y[t] - my);
  }
  return c / std::sqrt(sxx * syy);
}

TEST(LagMatrix, Float32AgreesWithTheFloat64Reference) {
  auto rng = test::fresh_rng();
  const int64_t length = 500;
  const int n = 6;
  const auto values = test::random_values<double>(rng, static_cast<std::size_t>(length * n));
  const auto v32 = test_util::cast<float>(values);
  const Matrix m = matrix<float>({v32.data(), length, n}, 50.0);
  ASSERT_TRUE(invariants(m, 50.0));
  const std::vector<double> exact(v32.begin(), v32.end());
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const std::span<const double> x(exact.data() + i * length, length),
          y(exact.data() + j * length, length);
      const PairLag ref = reference_pair(x, y, 50.0);
      EXPECT_NEAR(m.corr(i, j), ref.correlation, 2e-5);
      const auto got_k = static_cast<int64_t>(-m.samples(i, j));
      if (static_cast<double>(got_k) != ref.lag) {  // only a near-tie may differ
        EXPECT_NEAR(correlation_at(x, y, got_k), ref.correlation, 2e-5) << i << "," << j;
      }
    }
}

TEST(LagMatrix, ExactTiesGoToTheSmallestLagAsNumpyArgmax) {
  // Mean-removed x = [0.5, -0.5], y = [-0.5, 0.5]: c[-1] = c[1] = 0.25 > c[0] = -0.5. numpy.argmax
  // takes lag -1 (the first), so L[0,1] = +1 whatever the FFT's rounding says.
  const double x[2] = {1, 0}, y[2] = {0, 1};
  for (const auto& got : {pair<double>(x, y, 1.0), reference_pair(x, y, 1.0)}) {
    EXPECT_EQ(got.lag, -1.0);
    EXPECT_EQ(got.seconds, 1.0);
    EXPECT_NEAR(got.correlation, 0.5, 1e-15);
  }
  const float xf[2] = {1, 0}, yf[2] = {0, 1};
  EXPECT_EQ(pair<float>(xf, yf, 1.0).lag, -1.0);
}

TEST(LagMatrix, BatchesThreadsAndPlansGiveTheSameResults) {
  auto rng = test::fresh_rng();
  const int n = 4;
  Batch<double> batch(n);
  std::vector<double> fs;
  std::uniform_int_distribution<int64_t> len_of(0, 300);
  for (int r = 0; r < 9; ++r) {
    const int64_t len = r == 3 ? 0 : len_of(rng);
    batch.push_back(test::random_values<double>(rng, static_cast<std::size_t>(len * n)), len);
    fs.push_back(100.0 + r);
  }
  Plan one(Options{.threads = 1});
  Plan two(Options{.threads = 2});
  Plan many(Options{.threads = 16});  // more threads than recordings: parallel inside each
  const auto a = one.matrices<double>(batch.view(), fs);
  const auto b = two.matrices<double>(batch.view(), fs);
  const auto c = many.matrices<double>(batch.view(), fs);
  ASSERT_EQ(a.size(), 9u);
  for (std::size_t r = 0; r < a.size(); ++r) {
    ASSERT_TRUE(invariants(a[r], fs[r]));
    const Matrix single = matrix<double>(batch.view().series(r), fs[r]);
    for (const auto* other : {&b[r], &c[r], &single}) {
      for (std::size_t k = 0; k < a[r].lag_samples.size(); ++k) {
        EXPECT_TRUE(a[r].lag_samples[k] == other->lag_samples[k] ||
                    (std::isnan(a[r].lag_samples[k]) && std::isnan(other->lag_samples[k])));
        EXPECT_TRUE(a[r].correlation[k] == other->correlation[k] ||
                    (std::isnan(a[r].correlation[k]) && std::isnan(other->correlation[k])));
      }
    }
  }
  // The empty recording: NaN pairs, zero diagonal.
  EXPECT_TRUE(std::isnan(a[3].samples(0, 1)));
  EXPECT_EQ(a[3].samples(1, 1), 0.0);
  EXPECT_EQ(one.stats().recordings, 9);
  // A second call reuses the plans made by the first. (Not on the batch above: its random lengths
  // can need more FFT sizes than the cache keeps, and a cyclic LRU then never hits.)
  Batch<double> small(n);
  const std::vector<double> small_fs{100.0, 120.0, 140.0};
  for (const int64_t len : {50, 120, 200})
    small.push_back(test::random_values<double>(rng, static_cast<std::size_t>(len * n)), len);
  Plan reuse(Options{.threads = 1});
  reuse.matrices<double>(small.view(), small_fs);
  const auto before = reuse.stats();
  EXPECT_GT(before.fft_plans_made, 0);
  reuse.matrices<double>(small.view(), small_fs);
  const auto after = reuse.stats();
  EXPECT_EQ(after.fft_plans_made, before.fft_plans_made);
  EXPECT_GT(after.fft_plan_hits, before.fft_plan_hits);
  EXPECT_EQ(after.recordings, 6);
}

TEST(LagMatrix, UnequalLengthsTruncateEachPairToTheShorter) {
  auto rng = test::fresh_rng();
  const std::vector<int64_t> lengths{300, 120, 300, 57, 1, 0, 200};
  std::vector<std::vector<double>> ch;
  for (const int64_t len : lengths) ch.push_back(test::random_values<double>(rng, len));
  std::vector<std::span<const double>> spans(ch.begin(), ch.end());
  Plan plan;
  const Matrix m = plan.matrix<double>(spans, 60.0);
  ASSERT_TRUE(invariants(m, 60.0));
  for (std::size_t i = 0; i < ch.size(); ++i)
    for (std::size_t j = i + 1; j < ch.size(); ++j) {
      const PairLag ref = reference_pair(ch[i], ch[j], 60.0);
      const PairLag got = pair<double>(ch[i], ch[j], 60.0);
      const auto a = static_cast<int>(i), b = static_cast<int>(j);
      if (std::isnan(ref.lag)) {
        EXPECT_TRUE(std::isnan(m.samples(a, b))) << i << "," << j;
        EXPECT_TRUE(std::isnan(got.lag));
        continue;
      }
      EXPECT_EQ(-m.samples(a, b) + 0.0, ref.lag) << i << "," << j;
      EXPECT_EQ(got.lag, ref.lag);
      EXPECT_EQ(got.seconds, m.seconds(a, b));
      if (std::isnan(ref.correlation))
        EXPECT_TRUE(std::isnan(m.corr(a, b)));
      else
        EXPECT_NEAR(m.corr(a, b), ref.correlation, 1e-12);
    }
  // Length 1 is constant: lag 0, correlation NaN; length 0: NaN.
  EXPECT_EQ(m.samples(4, 0), 0.0);
  EXPECT_TRUE(std::isnan(m.corr(4, 0)));
  EXPECT_TRUE(std::isnan(m.samples(5, 0)));
  EXPECT_TRUE(std::isnan(m.corr(5, 5)));
  EXPECT_EQ(m.corr(0, 0), 1.0);
}

TEST(LagMatrix, NanOrInfMakesThatChannelsPairsNanAndNamesIt) {
  auto rng = test::fresh_rng();
  const int64_t length = 256;
  auto values = delayed_channels(rng, length, {0, 5, 9, 2});
  const auto clean = matrix<double>({values.data(), length, 4}, 100.0);
  values[1 * length + 100] = kNaN;
  values[3 * length + 7] = std::numeric_limits<double>::infinity();
  const auto m = matrix<double>({values.data(), length, 4}, 100.0);
  ASSERT_TRUE(invariants(m, 100.0));
  EXPECT_EQ(m.nan_channels, (std::vector<int>{1, 3}));
  for (int j = 0; j < 4; ++j) {
    for (const int bad : {1, 3}) {
      if (j == bad) continue;
      EXPECT_TRUE(std::isnan(m.samples(bad, j))) << bad << "," << j;
      EXPECT_TRUE(std::isnan(m.seconds(j, bad)));
      EXPECT_TRUE(std::isnan(m.corr(bad, j)));
    }
  }
  EXPECT_TRUE(std::isnan(m.corr(1, 1)));
  EXPECT_EQ(m.samples(1, 1), 0.0);
  EXPECT_EQ(m.samples(0, 2), 9.0);  // untouched pairs keep their values
  EXPECT_EQ(m.corr(0, 2), clean.corr(0, 2));
  // The same in float32.
  const auto v32 = test_util::cast<float>(values);
  EXPECT_EQ(matrix<float>({v32.data(), length, 4}, 100.0).nan_channels, (std::vector<int>{1, 3}));
}

TEST(LagMatrix, ConstantSeriesGiveLagZeroAndUndefinedCorrelation) {
  auto rng = test::fresh_rng();
  const int64_t length = 100;
  auto values = delayed_channels(rng, length, {0, 3, 6});
  for (int64_t t = 0; t < length; ++t) values[length + t] = 2.5;  // channel 1 constant
  for (int64_t t = 0; t < length; ++t) values[2 * length + t] = 1e-12 * (t % 2);  // std 5e-13
  const Matrix m = matrix<double>({values.data(), length, 3}, 10.0);
  ASSERT_TRUE(invariants(m, 10.0));
  for (const auto& [i, j] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
    EXPECT_EQ(m.samples(i, j), 0.0);
    EXPECT_EQ(m.seconds(j, i), 0.0);
    EXPECT_TRUE(std::isnan(m.corr(i, j)));
  }
  EXPECT_EQ(m.corr(0, 0), 1.0);
  EXPECT_TRUE(std::isnan(m.corr(1, 1)));
  EXPECT_TRUE(m.nan_channels.empty());
  // Length 1 everywhere: every pair constant.
  const double one[3] = {1.0, 2.0, 3.0};
  const Matrix single = matrix<double>({one, 1, 3}, 10.0);
  EXPECT_EQ(single.samples(0, 2), 0.0);
  EXPECT_TRUE(std::isnan(single.corr(0, 2)));
  // One channel: a 1 x 1 matrix.
  const Matrix lone = matrix<double>({values.data(), length, 1}, 10.0);
  EXPECT_EQ(lone.channels, 1);
  EXPECT_EQ(lone.corr(0, 0), 1.0);
}

TEST(LagMatrix, HugeAndTinyValuesGiveTheSameLags) {
  auto rng = test::fresh_rng();
  const int64_t length = 300;
  const auto values = delayed_channels(rng, length, {0, 11, 4, 23});
  const Matrix base = matrix<double>({values.data(), length, 4}, 100.0);
  for (const double scale : {1e300, 1e150, 1e-7}) {
    std::vector<double> scaled(values);
    for (auto& v : scaled) v *= scale;
    const Matrix m = matrix<double>({scaled.data(), length, 4}, 100.0);
    EXPECT_EQ(m.lag_samples, base.lag_samples) << scale;
    for (std::size_t k = 0; k < m.correlation.size(); ++k)
      EXPECT_NEAR(m.correlation[k], base.correlation[k], 1e-12) << scale;
  }
  std::vector<float> f(values.size());
  for (std::size_t k = 0; k < f.size(); ++k) f[k] = static_cast<float>(values[k] * 1e37);
  const Matrix m32 = matrix<float>({f.data(), length, 4}, 100.0);
  EXPECT_EQ(m32.lag_samples, base.lag_samples);
  // The contract's threshold is absolute: values of 1e-300 have std < 1e-9, so lag 0.
  std::vector<double> tiny(values);
  for (auto& v : tiny) v *= 1e-300;
  const Matrix t = matrix<double>({tiny.data(), length, 4}, 100.0);
  EXPECT_EQ(t.samples(0, 1), 0.0);
  EXPECT_TRUE(std::isnan(t.corr(0, 1)));
}

TEST(LagMatrix, UnknownSampleRateKeepsSamplesAndBadInputIsRefused) {
  auto rng = test::fresh_rng();
  const int64_t length = 64;
  const auto values = delayed_channels(rng, length, {0, 4});
  const Matrix m = matrix<double>({values.data(), length, 2}, 0.0);
  EXPECT_EQ(m.samples(0, 1), 4.0);
  EXPECT_TRUE(std::isnan(m.seconds(0, 1)));
  EXPECT_EQ(m.seconds(0, 0), 0.0);
  for (const double fs : {-1.0, kNaN, std::numeric_limits<double>::infinity()})
    EXPECT_THROW(matrix<double>({values.data(), length, 2}, fs), InputError) << fs;

  Batch<double> batch(2);
  batch.push_back(values, length);
  const double rates[2] = {100, 100};
  EXPECT_THROW(matrices<double>(batch.view(), std::span<const double>(rates, 2)), InputError);
  std::vector<int64_t> offsets{1, length};
  BatchView<double> shifted{batch.values, offsets, 2};
  EXPECT_THROW(matrices<double>(shifted, std::span<const double>(rates, 1)), InputError);
  std::vector<int64_t> too_long{0, length + 1};
  BatchView<double> overrun{batch.values, too_long, 2};
  EXPECT_THROW(matrices<double>(overrun, std::span<const double>(rates, 1)), InputError);
  BatchView<double> no_channels{batch.values, batch.offsets, 0};
  EXPECT_THROW(matrices<double>(no_channels, std::span<const double>(rates, 1)), InputError);
  if (!cuda_device_info().available()) {
    EXPECT_THROW(matrix<double>({values.data(), length, 2}, 100.0, {.backend = Backend::cuda}),
                 BackendError);
  }
}

}  // namespace
}  // namespace swingpipe::lag
