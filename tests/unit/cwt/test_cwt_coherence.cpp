// Wavelet coherence against a brute-force float64 reference (direct Gaussian convolution in time,
// boxcar across scales, as cwt.hpp defines them) and its known values: 1 for proportional
// signals, phase pi for opposite ones, the phase lag of shifted cosines.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/kernels/cwt.hpp"
#include "test_support.hpp"

namespace swingpipe::cwt {
namespace {

struct Coh {
  std::vector<double> r2, phase;
};

/// The definition, summed directly.
Coh brute_force(const std::vector<std::complex<double>>& wx,
                const std::vector<std::complex<double>>& wy, const std::vector<double>& scales,
                int64_t n, const CoherenceOptions& opt) {
  const std::size_t F = scales.size();
  std::vector<std::complex<double>> c(F * n);
  std::vector<double> px(F * n), py(F * n);
  for (std::size_t i = 0; i < F; ++i) {
    const double s = scales[i], sigma = opt.time_width * s;
    const int64_t L = std::min<int64_t>(static_cast<int64_t>(std::ceil(9.11 * sigma)), n - 1);
    double total = 0;
    for (int64_t m = -L; m <= L; ++m) total += std::exp(-0.5 * (m / sigma) * (m / sigma));
    for (int64_t t = 0; t < n; ++t) {
      std::complex<double> sc = 0;
      double sx = 0, sy = 0;
      for (int64_t m = -L; m <= L; ++m) {
        const int64_t u = t - m;
        if (u < 0 || u >= n) continue;
        const double k = std::exp(-0.5 * (m / sigma) * (m / sigma)) / total;
        const auto a = wx[i * n + u], b = wy[i * n + u];
        sc += k * a * std::conj(b) / s;
        sx += k * std::norm(a) / s;
        sy += k * std::norm(b) / s;
      }
      c[i * n + t] = sc;
      px[i * n + t] = sx;
      py[i * n + t] = sy;
    }
  }
  Coh out{std::vector<double>(F * n), std::vector<double>(F * n)};
  for (std::size_t i = 0; i < F; ++i) {
    std::vector<std::size_t> members;
    for (std::size_t j = 0; j < F; ++j)
      if (std::fabs(std::log2(scales[j] / scales[i])) <= opt.scale_width / 2 + 1e-9)
        members.push_back(j);
    for (int64_t t = 0; t < n; ++t) {
      std::complex<double> sc = 0;
      double sx = 0, sy = 0;
      for (auto j : members) {
        sc += c[j * n + t];
        sx += px[j * n + t];
        sy += py[j * n + t];
      }
      const double m = static_cast<double>(members.size());
      sc /= m;
      sx /= m;
      sy /= m;
      out.r2[i * n + t] = std::norm(sc) / (sx * sy);
      out.phase[i * n + t] = std::arg(sc);
    }
  }
  return out;
}

struct Transforms {
  std::vector<std::complex<double>> wx, wy;
};

Transforms transforms(const Plan& plan, const std::vector<double>& x,
                      const std::vector<double>& y) {
  const int64_t n = plan.length();
  Transforms t{std::vector<std::complex<double>>(plan.count() * n),
               std::vector<std::complex<double>>(plan.count() * n)};
  transform<double>(plan, {x.data(), n, 1}, t.wx);
  transform<double>(plan, {y.data(), n, 1}, t.wy);
  return t;
}

TEST(CwtCoherence, MatchesBruteForce) {
  auto rng = test::fresh_rng();
  const int64_t n = 400;
  const Plan plan(
      {.length = n, .frequencies = geometric_frequencies(2, 40, 14), .sample_rate = 100.0});
  std::vector<double> x = test::random_values(rng, n), y = test::random_values(rng, n);
  for (int64_t t = 0; t < n; ++t) y[t] = 0.6 * y[t] + 0.8 * x[t];  // partly coherent
  const Transforms w = transforms(plan, x, y);
  for (const CoherenceOptions opt :
       {CoherenceOptions{}, CoherenceOptions{0.5, 0.0}, CoherenceOptions{2.0, 1.2}}) {
    const Coh ref = brute_force(w.wx, w.wy, plan.scales(), n, opt);
    std::vector<double> r2(14 * n), phase(14 * n);
    coherence<double>(plan, w.wx, w.wy, r2, phase, opt);
    for (int64_t k = 0; k < 14 * n; ++k) {
      ASSERT_NEAR(r2[k], ref.r2[k], 1e-9) << k;
      ASSERT_GE(r2[k], 0.0);
      ASSERT_LE(r2[k], 1.0);
      // The phase is meaningful where there is coherence.
      if (ref.r2[k] > 1e-6) {
        ASSERT_NEAR(std::remainder(phase[k] - ref.phase[k], 2 * M_PI), 0.0, 1e-7) << k;
      }
    }
  }
}

TEST(CwtCoherence, ProportionalOppositeAndShifted) {
  auto rng = test::fresh_rng();
  const int64_t n = 2000;
  const double fs = 200.0;
  const Plan plan(
      {.length = n, .frequencies = geometric_frequencies(1, 60, 20), .sample_rate = fs});
  const std::vector<double> x = test::random_values(rng, n);
  std::vector<double> twice(n), opposite(n);
  for (int64_t t = 0; t < n; ++t) {
    twice[t] = 2.5 * x[t];
    opposite[t] = -x[t];
  }
  std::vector<double> r2(20 * n), phase(20 * n);
  Transforms w = transforms(plan, x, twice);
  coherence<double>(plan, w.wx, w.wy, r2, phase);
  for (int64_t k = 0; k < 20 * n; ++k) {
    EXPECT_NEAR(r2[k], 1.0, 1e-9);
    EXPECT_NEAR(phase[k], 0.0, 1e-9);
  }
  w = transforms(plan, x, opposite);
  coherence<double>(plan, w.wx, w.wy, r2, {});
  for (int64_t k = 0; k < 20 * n; ++k) EXPECT_NEAR(r2[k], 1.0, 1e-9);
  coherence<double>(plan, w.wx, w.wy, {}, phase);
  for (int64_t k = 0; k < 20 * n; ++k) EXPECT_NEAR(std::fabs(phase[k]), M_PI, 1e-9);

  // cos(w t) against cos(w t - phi): phase +phi at the matching frequency, away from the edges.
  const double f = 10.0, phi = 0.7;
  std::vector<double> a(n), b(n);
  for (int64_t t = 0; t < n; ++t) {
    a[t] = std::cos(2 * M_PI * f * t / fs);
    b[t] = std::cos(2 * M_PI * f * t / fs - phi);
  }
  const Plan one({.length = n, .frequencies = {f}, .sample_rate = fs});
  w = transforms(one, a, b);
  std::vector<double> r1(n), p1(n);
  coherence<double>(one, w.wx, w.wy, r1, p1);
  for (int64_t t = 300; t < n - 300; t += 50) {
    EXPECT_NEAR(r1[t], 1.0, 1e-9);
    EXPECT_NEAR(p1[t], phi, 1e-6);
  }
}

TEST(CwtCoherence, IndependentNoiseIsLessCoherentAndFloat32Works) {
  auto rng = test::fresh_rng();
  const int64_t n = 4000;
  const Plan plan({.length = n,
                   .frequencies = geometric_frequencies(5, 40, 8),
                   .sample_rate = 100.0,
                   .precision = Precision::float32});
  const std::vector<float> x = test::random_values<float>(rng, n),
                           y = test::random_values<float>(rng, n);
  std::vector<std::complex<float>> wx(8 * n), wy(8 * n);
  transform<float>(plan, {x.data(), n, 1}, wx);
  transform<float>(plan, {y.data(), n, 1}, wy);
  std::vector<float> r2(8 * n);
  coherence<float>(plan, wx, wy, r2, {});
  double mean = 0;
  for (float v : r2) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
    mean += v;
  }
  mean /= static_cast<double>(r2.size());
  EXPECT_LT(mean, 0.6);
  EXPECT_GT(mean, 0.01);
}

TEST(CwtCoherence, ZeroChannelIsNanAndBadOptionsThrow) {
  const int64_t n = 300;
  const Plan plan({.length = n, .frequencies = {5.0, 10.0}, .sample_rate = 100.0});
  std::vector<std::complex<double>> wx(2 * n, {1.0, 0.5}), wy(2 * n, {0.0, 0.0});
  std::vector<double> r2(2 * n);
  coherence<double>(plan, wx, wy, r2, {});
  for (double v : r2) EXPECT_TRUE(std::isnan(v));
  EXPECT_THROW(coherence<double>(plan, wx, wy, r2, {}, {.time_width = 0}), InputError);
  EXPECT_THROW(coherence<double>(plan, wx, wy, r2, {}, {.scale_width = -1}), InputError);
  std::vector<double> small(2 * n - 1);
  EXPECT_THROW(coherence<double>(plan, wx, wy, small, {}), InputError);
  EXPECT_THROW(coherence<double>(plan, std::span(wx).first(5), wy, r2, {}), InputError);
}

}  // namespace
}  // namespace swingpipe::cwt
