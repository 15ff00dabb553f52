// The FFT-based CWT against its definition by direct summation (design.md §6) and against the
// analytic transform of a cosine (issue #7): float64 to 1e-9 relative for every scale tried (the
// issue asks it for s >= 4; the closed-form spectrum with its aliases gives it below 4 too),
// float32 within its precision, one block and many.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "cwt_test_util.hpp"
#include "swingpipe/kernels/cwt.hpp"
#include "test_support.hpp"

namespace swingpipe::cwt {
namespace {

using test_util::freqs_for_scales;
using test_util::reference;
using test_util::row_error;

struct Case {
  int64_t n;
  double omega0;
  double smin, smax;
  int count;
  int64_t block;  // 0 = chosen
};

template <class T>
void check_against_reference(const Case& c, std::mt19937_64& rng, double tol) {
  const std::vector<double> x = test::random_values(rng, static_cast<std::size_t>(c.n));
  const std::vector<double> freqs = freqs_for_scales(c.smin, c.smax, c.count, c.omega0);
  const auto ref = reference(x, freqs, c.omega0, 1.0);
  Spec spec{.length = c.n,
            .frequencies = freqs,
            .omega0 = c.omega0,
            .precision = precision_of<T>(),
            .block_size = c.block,
            .planning = Planning::estimate};
  const Plan plan(spec);
  std::vector<T> xt(x.begin(), x.end());
  std::vector<std::complex<T>> out(freqs.size() * x.size());
  transform<T>(plan, {xt.data(), c.n, 1}, out);
  for (std::size_t i = 0; i < freqs.size(); ++i) {
    const double err = row_error(out.data() + i * c.n, ref.data() + i * c.n, c.n);
    EXPECT_LE(err, tol) << "n " << c.n << " w0 " << c.omega0 << " scale " << plan.scales()[i]
                        << " blocks " << plan.geometry().blocks << " fft "
                        << plan.geometry().fft_size;
  }
}

TEST(CwtDefinition, Float64MatchesDirectSumEveryOmega0) {
  auto rng = test::fresh_rng();
  for (double w0 : {5.0, 6.0, 8.0, 12.0}) {
    check_against_reference<double>({1000, w0, 4.0, 300.0, 12, 0}, rng, 1e-9);
    check_against_reference<double>({257, w0, 4.0, 60.0, 6, 0}, rng, 1e-9);
  }
}

TEST(CwtDefinition, Float64SmallScalesAndAboveNyquist) {
  auto rng = test::fresh_rng();
  for (double w0 : {5.0, 6.0, 8.0})
    check_against_reference<double>({300, w0, 0.3, 4.0, 9, 0}, rng, 1e-9);
}

TEST(CwtDefinition, Float64Length4096) {
  auto rng = test::fresh_rng();
  check_against_reference<double>({4096, 6.0, 4.0, 1000.0, 5, 0}, rng, 1e-9);
}

TEST(CwtDefinition, WaveletsWiderThanTheSignal) {
  // 9.1 s exceeds n: one block, the wavelet's spectrum truncated at n - 1 lags.
  auto rng = test::fresh_rng();
  check_against_reference<double>({50, 6.0, 4.0, 500.0, 6, 0}, rng, 1e-9);
  check_against_reference<double>({3, 6.0, 0.5, 100.0, 4, 0}, rng, 1e-9);
  check_against_reference<double>({1, 6.0, 0.5, 100.0, 4, 0}, rng, 1e-9);
}

TEST(CwtDefinition, ManyBlocksMatchDirectSum) {
  auto rng = test::fresh_rng();
  for (double w0 : {6.0, 10.0}) {
    check_against_reference<double>({3000, w0, 4.0, 20.0, 7, 512}, rng, 1e-9);
    check_against_reference<double>({3001, w0, 1.0, 30.0, 5, 600}, rng, 1e-9);
  }
}

TEST(CwtDefinition, Float32WithinItsPrecision) {
  auto rng = test::fresh_rng();
  for (double w0 : {5.0, 6.0, 8.0}) {
    check_against_reference<float>({1500, w0, 2.0, 300.0, 10, 0}, rng, 2e-6);
    check_against_reference<float>({2000, w0, 4.0, 30.0, 5, 1024}, rng, 2e-6);
  }
}

TEST(CwtDefinition, RandomShapes) {
  auto rng = test::fresh_rng();
  std::uniform_int_distribution<int64_t> len(1, 1200);
  std::uniform_real_distribution<double> w(5.0, 10.0), lo(0.5, 8.0), span(1.0, 80.0);
  for (int k = 0; k < 6; ++k) {
    const double smin = lo(rng);
    check_against_reference<double>({len(rng), w(rng), smin, smin * span(rng), 4, 0}, rng, 1e-9);
  }
}

TEST(CwtAnalytic, CosineMagnitude) {
  // A cos(w m): away from the edges |W| = (A/2) pi^-1/4 sqrt(2 pi s) e^{-(s w - w0)^2 / 2} up to
  // e^{-(s w + w0)^2 / 2}; at s = w0 / w that is (A/2) pi^-1/4 sqrt(2 pi s).
  const int64_t n = 8192;
  const double fs = 500.0, A = 2.5, f = 12.0, w = 2 * M_PI * f / fs, w0 = 6.0;
  std::vector<double> x(n);
  for (int64_t m = 0; m < n; ++m) x[m] = A * std::cos(w * m);
  const std::vector<double> freqs{6.0, 9.0, 12.0, 15.0, 20.0};
  const Plan plan({.length = n, .frequencies = freqs, .omega0 = w0, .sample_rate = fs});
  std::vector<double> mag(freqs.size() * n);
  transform<double>(plan, {x.data(), n, 1}, Output::magnitude, mag);
  for (std::size_t i = 0; i < freqs.size(); ++i) {
    const double s = plan.scales()[i];
    const double want = A / 2 * std::pow(M_PI, -0.25) * std::sqrt(2 * M_PI * s) *
                        std::exp(-0.5 * (s * w - w0) * (s * w - w0));
    const double other = A / 2 * std::pow(M_PI, -0.25) * std::sqrt(2 * M_PI * s) *
                         std::exp(-0.5 * (s * w + w0) * (s * w + w0));
    const auto edge = static_cast<int64_t>(std::ceil(10 * s));
    for (int64_t t = edge; t < n - edge; t += 97)
      EXPECT_NEAR(mag[i * n + t], want, other + 1e-12 * A) << "f " << freqs[i] << " t " << t;
  }
  // The matching scale gives the peak value itself.
  EXPECT_NEAR(mag[2 * n + n / 2],
              A / 2 * std::pow(M_PI, -0.25) * std::sqrt(2 * M_PI * plan.scales()[2]), 1e-9);
}

TEST(CwtAnalytic, ImpulseAtTheStartDoesNotWrap) {
  // Linear correlation: an impulse at t = 0 is seen near t = 0 only, never at t = n - 1 (fCWT's
  // circular correlation shows it there for power-of-two lengths).
  const int64_t n = 4096;
  std::vector<float> x(n, 0.0f);
  x[0] = 1.0f;
  const Plan plan({.length = n,
                   .frequencies = geometric_frequencies(0.002, 0.4, 16),
                   .precision = Precision::float32});
  std::vector<float> p(16 * n);
  transform<float>(plan, {x.data(), n, 1}, Output::power, p);
  for (int i = 0; i < 16; ++i) {
    // Exact |W[n-1]|^2 = s^-1 pi^-1/2 e^{-(n-1)^2/s^2} < 1e-30 here: only rounding noise (~1e-14
    // of the row's peak) may show at the far end; a wrapped impulse would be as large as p[1].
    const float peak = *std::max_element(p.begin() + i * n, p.begin() + (i + 1) * n);
    EXPECT_GT(p[i * n], 0.0f);
    EXPECT_LE(p[i * n + n - 1], 1e-9f * peak) << "scale " << plan.scales()[i];
  }
}

}  // namespace
}  // namespace swingpipe::cwt
