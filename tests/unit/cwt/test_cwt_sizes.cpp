// FFT lengths by scale (Spec::max_fft_sizes): a one-block CPU plan transforms each scale at a
// length its own support needs (high frequencies at shorter lengths than the lowest). Checked:
// the lengths and their order, values equal to the one-length plan and to the direct sums at the
// scales on both sides of every length boundary (linear correlation: impulses at both ends of the
// signal never wrap), one length when every scale fits it, multi-channel, NaN channels, calls
// shorter than the plan, tiles, blocked plans, and bad values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "cwt_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/cwt.hpp"
#include "test_support.hpp"

namespace swingpipe::cwt {
namespace {

using test_util::freqs_for_scales;
using test_util::reference;
using test_util::row_error;

Spec spec_of(int64_t n, std::vector<double> freqs, Precision p, int max_sizes) {
  return {.length = n,
          .frequencies = std::move(freqs),
          .omega0 = 6.0,
          .precision = p,
          .planning = Planning::estimate,
          .max_fft_sizes = max_sizes};
}

bool only_2_3_5(int64_t v) {
  for (int64_t p : {2, 3, 5})
    while (v % p == 0) v /= p;
  return v == 1;
}

template <class T>
std::vector<std::complex<T>> run(const Plan& plan, const std::vector<double>& x, int channels,
                                 int64_t n) {
  std::vector<T> xt(x.begin(), x.end());
  std::vector<std::complex<T>> out(static_cast<std::size_t>(channels) *
                                   static_cast<std::size_t>(plan.count()) *
                                   static_cast<std::size_t>(n));
  transform<T>(plan, {xt.data(), n, channels}, out);
  return out;
}

/// Indices i where scale i and i + 1 have different FFT lengths.
std::vector<int> boundaries(const Plan& plan) {
  std::vector<int> b;
  for (int i = 0; i + 1 < plan.count(); ++i)
    if (plan.fft_size_of(i) != plan.fft_size_of(i + 1)) b.push_back(i);
  return b;
}

TEST(CwtSizes, LengthsFollowTheSupport) {
  // n = 2000, scales 2..400 (supports of ~18..3650 samples in float64): the short wavelets fit
  // lengths just above n, the widest needs about 2n.
  const auto freqs = freqs_for_scales(2.0, 400.0, 40, 6.0);
  for (Precision p : {Precision::float64, Precision::float32}) {
    const Plan grouped(spec_of(2000, freqs, p, 0));
    const Plan single(spec_of(2000, freqs, p, 1));
    const auto sizes = grouped.fft_sizes();
    ASSERT_GE(sizes.size(), 2u);
    ASSERT_LE(sizes.size(), 4u);
    EXPECT_TRUE(std::is_sorted(sizes.begin(), sizes.end()));
    EXPECT_EQ(grouped.geometry().blocks, 1);
    EXPECT_EQ(grouped.geometry().fft_size, sizes.back());
    ASSERT_EQ(single.fft_sizes().size(), 1u);
    EXPECT_EQ(single.fft_sizes()[0], single.geometry().fft_size);
    EXPECT_LE(sizes.back(), single.geometry().fft_size);
    // A linear correlation of n samples needs at least n + 1 points for the shortest wavelet;
    // every length is a 2^a 3^b 5^c.
    EXPECT_GT(sizes.front(), 2000);
    EXPECT_LT(sizes.front(), single.geometry().fft_size);
    for (int64_t N : sizes) EXPECT_TRUE(only_2_3_5(N)) << N;
    // Frequencies descend as scales ascend: the lengths never shrink with the scale.
    for (int i = 0; i + 1 < grouped.count(); ++i) {
      ASSERT_GT(grouped.scales()[i + 1], grouped.scales()[i]);
      EXPECT_LE(grouped.fft_size_of(i), grouped.fft_size_of(i + 1)) << i;
    }
    EXPECT_THROW((void)grouped.fft_size_of(40), InputError);
    EXPECT_THROW((void)grouped.fft_size_of(-1), InputError);
    const Plan two(spec_of(2000, freqs, p, 2));
    EXPECT_EQ(two.fft_sizes().size(), 2u);
  }
}

template <class T>
void check_boundaries(double tol_vs_single, double tol_vs_reference) {
  auto rng = test::fresh_rng();
  const int64_t n = 1500;
  const auto freqs = freqs_for_scales(3.0, 300.0, 32, 6.0);
  const Plan grouped(spec_of(n, freqs, precision_of<T>(), 0));
  const Plan single(spec_of(n, freqs, precision_of<T>(), 1));
  const auto edges = boundaries(grouped);
  ASSERT_FALSE(edges.empty());
  // Random values, and impulses at both ends (a circular correlation would wrap them around).
  std::vector<double> x = test::random_values(rng, static_cast<std::size_t>(n));
  std::vector<double> impulses(static_cast<std::size_t>(n), 0.0);
  impulses.front() = 1.0;
  impulses.back() = -2.0;
  for (const auto* input : {&x, &impulses}) {
    const auto got = run<T>(grouped, *input, 1, n);
    const auto one = run<T>(single, *input, 1, n);
    std::vector<std::complex<double>> one_d(one.begin(), one.end());
    for (int i = 0; i < grouped.count(); ++i)
      EXPECT_LE(row_error(got.data() + i * n, one_d.data() + i * n, n), tol_vs_single) << i;
    // Direct sums for the scales on both sides of each boundary.
    for (int e : edges) {
      for (int i : {e, e + 1}) {
        const std::vector<double> f = {freqs[static_cast<std::size_t>(i)]};
        const auto ref = reference(*input, f, 6.0, 1.0);
        EXPECT_LE(row_error(got.data() + i * n, ref.data(), n), tol_vs_reference)
            << "scale " << grouped.scales()[i] << " fft " << grouped.fft_size_of(i);
      }
    }
  }
}

TEST(CwtSizes, Float64EqualsOneLengthAndDirectSumsAtEveryBoundary) {
  check_boundaries<double>(1e-12, 1e-9);
}

TEST(CwtSizes, Float32EqualsOneLengthAndDirectSumsAtEveryBoundary) {
  check_boundaries<float>(1e-5, 1e-5);
}

TEST(CwtSizes, OneLengthWhenEveryScaleFitsIt) {
  auto rng = test::fresh_rng();
  const int64_t n = 1000;
  // Scales 40..45: supports of ~365..410 samples, all within the same length.
  const auto freqs = freqs_for_scales(40.0, 45.0, 6, 6.0);
  const Plan plan(spec_of(n, freqs, Precision::float64, 0));
  ASSERT_EQ(plan.geometry().blocks, 1);
  ASSERT_EQ(plan.fft_sizes().size(), 1u);
  EXPECT_GT(plan.fft_sizes()[0], n);
  const std::vector<double> x = test::random_values(rng, static_cast<std::size_t>(n));
  const auto got = run<double>(plan, x, 1, n);
  const auto ref = reference(x, freqs, 6.0, 1.0);
  for (int i = 0; i < plan.count(); ++i)
    EXPECT_LE(row_error(got.data() + i * n, ref.data() + i * n, n), 1e-9) << i;
}

TEST(CwtSizes, ChannelsNanShortCallsAndTiles) {
  auto rng = test::fresh_rng();
  const int64_t L = 1200, n = 1100;  // a call shorter than the plan, as the runner makes
  const auto freqs = freqs_for_scales(2.5, 200.0, 24, 6.0);
  const Plan plan(spec_of(L, freqs, Precision::float64, 0));
  ASSERT_GE(plan.fft_sizes().size(), 2u);
  std::vector<double> x = test::random_values(rng, static_cast<std::size_t>(3 * n));
  x[static_cast<std::size_t>(n + 17)] = std::nan("");  // channel 1 holds a NaN
  const auto got = run<double>(plan, x, 3, n);
  const int F = plan.count();
  for (int c : {0, 2}) {
    const std::vector<double> xc(x.begin() + c * n, x.begin() + (c + 1) * n);
    const auto ref = reference(xc, freqs, 6.0, 1.0);
    for (int i = 0; i < F; ++i)
      EXPECT_LE(row_error(got.data() + (c * F + i) * n, ref.data() + i * n, n), 1e-9)
          << "channel " << c << " scale " << i;
  }
  for (int64_t k = F * n; k < 2 * F * n; ++k) ASSERT_TRUE(std::isnan(got[k].real())) << k;
  // Tiles: the same values.
  std::vector<std::complex<double>> tiled(got.size());
  int64_t seen = 0;
  transform_tiles<double>(plan, {x.data(), n, 3},
                          [&](int64_t t0, int64_t count, std::span<const std::complex<double>> t) {
                            for (int r = 0; r < 3 * F; ++r)
                              std::copy(t.begin() + r * count, t.begin() + (r + 1) * count,
                                        tiled.begin() + r * n + t0);
                            seen += count;
                          });
  EXPECT_EQ(seen, n);
  for (std::size_t k = 0; k < got.size(); ++k) {
    if (!std::isnan(got[k].real())) {
      ASSERT_EQ(tiled[k], got[k]) << k;
    }
  }
  // Power output goes through the same lengths.
  std::vector<double> power(got.size());
  transform<double>(plan, {x.data(), n, 3}, Output::power, power);
  for (std::size_t k = 0; k < got.size(); ++k) {
    if (!std::isnan(got[k].real())) {
      ASSERT_NEAR(power[k], std::norm(got[k]), 1e-12) << k;
    }
  }
}

TEST(CwtSizes, BlockedPlansKeepOneLengthAndBadValuesThrow) {
  const auto freqs = freqs_for_scales(2.0, 50.0, 8, 6.0);
  Spec blocked = spec_of(20000, freqs, Precision::float64, 0);
  blocked.block_size = 2048;
  const Plan plan(blocked);
  ASSERT_GT(plan.geometry().blocks, 1);
  EXPECT_EQ(plan.fft_sizes(), std::vector<int64_t>{2048});
  for (int i = 0; i < plan.count(); ++i) EXPECT_EQ(plan.fft_size_of(i), 2048);
  EXPECT_THROW(Plan(spec_of(1000, freqs, Precision::float64, -1)), InputError);
  const Plan empty(spec_of(0, freqs, Precision::float64, 0));
  EXPECT_EQ(empty.geometry().blocks, 0);
  // Plans differing only in max_fft_sizes are different cache entries.
  PlanCache cache(4);
  (void)cache.get(spec_of(500, freqs, Precision::float64, 0));
  (void)cache.get(spec_of(500, freqs, Precision::float64, 1));
  (void)cache.get(spec_of(500, freqs, Precision::float64, 0));
  EXPECT_EQ(cache.stats().misses, 2u);
  EXPECT_EQ(cache.stats().hits, 1u);
}

}  // namespace
}  // namespace swingpipe::cwt
