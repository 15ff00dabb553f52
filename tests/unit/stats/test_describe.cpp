// describe(): known data (constant, ramp, random against a long-double reference), NaN, empty,
// 1 and 2 samples, huge values, bad options.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/kernels/stats.hpp"
#include "test_support.hpp"

namespace swingpipe::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<ChannelStats> run(const std::vector<double>& data, int channels, double fs,
                              const Options& opt = {}) {
  const auto n = channels ? static_cast<int64_t>(data.size()) / channels : 0;
  return describe(SeriesRef<double>{data.data(), n, channels}, fs, opt);
}

void expect_all_nan(const ChannelStats& s) {
  EXPECT_TRUE(std::isnan(s.mean));
  EXPECT_TRUE(std::isnan(s.std));
  EXPECT_TRUE(std::isnan(s.min));
  EXPECT_TRUE(std::isnan(s.max));
  EXPECT_TRUE(std::isnan(s.peak_abs_rate));
  EXPECT_TRUE(std::isnan(s.rms_jerk));
}

TEST(Describe, ConstantHasNoSpreadRateOrJerk) {
  const auto s = run(std::vector<double>(100, 3.25), 1, 240);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_DOUBLE_EQ(s[0].mean, 3.25);
  EXPECT_EQ(s[0].std, 0);
  EXPECT_EQ(s[0].min, 3.25);
  EXPECT_EQ(s[0].max, 3.25);
  EXPECT_NEAR(s[0].peak_abs_rate, 0, 1e-12);
  EXPECT_NEAR(s[0].rms_jerk, 0, 1e-9);
}

TEST(Describe, RampRateIsTheSlope) {
  const double fs = 100, slope = -0.5;  // units per second
  const int n = 200;
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = 2 + slope * i / fs;
  const auto s = run(x, 1, fs);
  EXPECT_NEAR(s[0].mean, 2 + slope * (n - 1) / 2.0 / fs, 1e-12);
  EXPECT_NEAR(s[0].std, std::abs(slope) / fs * std::sqrt((n * n - 1) / 12.0), 1e-12);
  EXPECT_EQ(s[0].min, x.back());
  EXPECT_EQ(s[0].max, x.front());
  EXPECT_NEAR(s[0].peak_abs_rate, 0.5, 1e-9);
  EXPECT_NEAR(s[0].rms_jerk, 0, 1e-6);
  // Per sample when fs = 0.
  EXPECT_NEAR(run(x, 1, 0)[0].peak_abs_rate, 0.5 / fs, 1e-11);
}

TEST(Describe, CubicJerkIsSixTimesTheLeadingCoefficient) {
  const double fs = 50;
  std::vector<double> x(120);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double t = static_cast<double>(i) / fs - 1;
    x[i] = 0.7 * t * t * t - t;
  }
  const auto s = run(x, 1, fs);
  EXPECT_NEAR(s[0].rms_jerk, 6 * 0.7, 1e-8);
  const double t_end = (x.size() - 1) / fs - 1;  // |dx/dt| = |2.1 t^2 - 1| peaks at the far end
  EXPECT_NEAR(s[0].peak_abs_rate, 2.1 * t_end * t_end - 1, 1e-8);
}

TEST(Describe, MatchesALongDoubleReferenceOnRandomChannels) {
  auto rng = test::fresh_rng();
  const int channels = 5, n = 301;
  const double fs = 240;
  const auto data = test::random_values(rng, static_cast<std::size_t>(channels) * n, -1e3, 5e3);
  const auto s = run(data, channels, fs);
  ASSERT_EQ(s.size(), static_cast<std::size_t>(channels));
  for (int c = 0; c < channels; ++c) {
    const std::span<const double> x(data.data() + c * n, n);
    long double sum = 0, sq = 0;
    for (double v : x) sum += v;
    const long double mean = sum / n;
    for (double v : x) sq += (v - mean) * (v - mean);
    EXPECT_NEAR(s[c].mean, static_cast<double>(mean), 1e-12 * 5e3);
    EXPECT_NEAR(s[c].std, static_cast<double>(std::sqrt(sq / n)), 1e-12 * 5e3);
    EXPECT_EQ(s[c].min, *std::min_element(x.begin(), x.end()));
    EXPECT_EQ(s[c].max, *std::max_element(x.begin(), x.end()));
    const auto d1 = savgol_derivative(x, 1, fs);
    const auto d3 = savgol_derivative(x, 3, fs);
    double peak = 0, jerk_sq = 0;
    for (double v : d1) peak = std::max(peak, std::abs(v));
    for (double v : d3) jerk_sq += v * v;
    EXPECT_NEAR(s[c].peak_abs_rate, peak, 1e-12 * peak);
    EXPECT_NEAR(s[c].rms_jerk, std::sqrt(jerk_sq / n), 1e-12 * std::sqrt(jerk_sq / n));
  }
}

TEST(Describe, NaNPoisonsOnlyItsChannel) {
  std::vector<double> data(2 * 50, 1.0);
  data[70] = kNaN;  // channel 1
  const auto s = run(data, 2, 100);
  EXPECT_DOUBLE_EQ(s[0].mean, 1.0);
  EXPECT_EQ(s[0].std, 0);
  expect_all_nan(s[1]);
}

TEST(Describe, EmptySeriesGivesNaNForEveryChannel) {
  const auto s = describe(SeriesRef<double>{nullptr, 0, 3}, 100);
  ASSERT_EQ(s.size(), 3u);
  for (const auto& c : s) expect_all_nan(c);
  EXPECT_TRUE(describe(SeriesRef<double>{nullptr, 0, 0}, 100).empty());
}

TEST(Describe, OneAndTwoSamples) {
  const auto one = run({4.5}, 1, 100);
  EXPECT_EQ(one[0].mean, 4.5);
  EXPECT_EQ(one[0].std, 0);
  EXPECT_EQ(one[0].min, 4.5);
  EXPECT_EQ(one[0].max, 4.5);
  EXPECT_EQ(one[0].peak_abs_rate, 0);
  EXPECT_EQ(one[0].rms_jerk, 0);
  const auto two = run({1.0, 3.0}, 1, 100);
  EXPECT_DOUBLE_EQ(two[0].mean, 2.0);
  EXPECT_DOUBLE_EQ(two[0].std, 1.0);
  EXPECT_NEAR(two[0].peak_abs_rate, 200.0, 1e-9);
  EXPECT_EQ(two[0].rms_jerk, 0);
}

TEST(Describe, HugeValuesDoNotOverflow) {
  const double big = 1e307;
  std::vector<double> x(64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i % 2 ? 1.0 : -1.0) * big * 1.5;
  const auto s = run(x, 1, 1);
  EXPECT_NEAR(s[0].mean, 0, 1e-12 * big);
  EXPECT_NEAR(s[0].std, 1.5 * big, 1e-12 * big);
  EXPECT_TRUE(std::isfinite(s[0].peak_abs_rate));
  // Same numbers, scaled down: the statistics scale exactly with the data.
  std::vector<double> small(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) small[i] = x[i] / big;
  const auto r = run(small, 1, 1);
  EXPECT_NEAR(s[0].peak_abs_rate / big, r[0].peak_abs_rate, 1e-12 * r[0].peak_abs_rate);
  EXPECT_NEAR(s[0].std / big, r[0].std, 1e-12);
  const auto tiny = run(std::vector<double>(20, 1e-310), 1, 1);  // subnormal constant
  EXPECT_EQ(tiny[0].mean, 1e-310);
  EXPECT_EQ(tiny[0].std, 0);
}

TEST(Describe, BadOptionsThrowInputError) {
  const std::vector<double> x(40, 1.0);
  EXPECT_THROW(run(x, 1, 100, {11, 2}), InputError);  // no third derivative
  EXPECT_THROW(run(x, 1, 100, {10, 3}), InputError);  // even window
  EXPECT_THROW(run(x, 1, 100, {3, 3}), InputError);   // window <= order
  EXPECT_THROW(run(x, 1, kNaN), InputError);
  EXPECT_THROW(describe(SeriesRef<double>{x.data(), 40, -1}, 100), InputError);
  EXPECT_THROW(describe(SeriesRef<double>{x.data(), -2, 1}, 100), InputError);
  EXPECT_THROW(describe(SeriesRef<double>{nullptr, 5, 1}, 100), InputError);
}

}  // namespace
}  // namespace swingpipe::stats
