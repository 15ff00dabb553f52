// A 10-million-sample channel x 64 scales streams through transform_tiles() within a fixed memory
// budget (the output, 2.5 GB of float32 power, is never held), with values that equal the
// definition (direct sums at random times) as the unblocked transform's do. Label long.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "swingpipe/kernels/cwt.hpp"
#include "test_support.hpp"

namespace swingpipe::cwt {
namespace {

long max_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

TEST(CwtLong, TenMillionSamplesStreamWithinTheBudget) {
  auto rng = test::fresh_rng();
  const int64_t n = 10'000'000;
  const double fs = 1000.0;
  const std::vector<double> freqs = geometric_frequencies(1.0, 100.0, 64);
  std::vector<float> x = test::random_values<float>(rng, static_cast<std::size_t>(n));
  const Plan plan(
      {.length = n, .frequencies = freqs, .sample_rate = fs, .precision = Precision::float32});
  ASSERT_GT(plan.geometry().blocks, 100);
  // Random times to check against the definition, with their expected values.
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  std::vector<int64_t> probes{0, n - 1};
  for (int k = 0; k < 10; ++k) probes.push_back(pick(rng));
  const long rss0 = max_rss_mib();
  int64_t next = 0, checked = 0;
  double worst = 0;
  transform_tiles<float>(plan, {x.data(), n, 1}, Output::power,
                         [&](int64_t t0, int64_t count, std::span<const float> tile) {
                           ASSERT_EQ(t0, next);
                           next = t0 + count;
                           for (int64_t b : probes) {
                             if (b < t0 || b >= t0 + count) continue;
                             // The definition at b, summed directly over lags within 10 s (beyond,
                             // e^{-50} of the peak), and the row's power scale near b (the float32
                             // error is relative to it).
                             for (std::size_t i = 0; i < freqs.size(); ++i) {
                               const double s = plan.scales()[i];
                               const auto half = static_cast<int64_t>(10 * s);
                               auto direct = [&](int64_t at) {
                                 std::complex<double> w = 0;
                                 for (int64_t m = std::max<int64_t>(0, at - half);
                                      m < std::min(n, at + half + 1); ++m) {
                                   const double u = double(m - at) / s;
                                   w += double(x[m]) * std::pow(M_PI, -0.25) / std::sqrt(s) *
                                        std::exp(-0.5 * u * u) * std::polar(1.0, -6.0 * u);
                                 }
                                 return std::norm(w);
                               };
                               const double want = direct(b);
                               double row_max = want;
                               for (int k = -3; k <= 3; ++k)
                                 if (k != 0 && b + k * half / 3 >= 0 && b + k * half / 3 < n)
                                   row_max = std::max(row_max, direct(b + k * half / 3));
                               const double got = tile[i * count + (b - t0)];
                               worst = std::max(worst, std::fabs(got - want) / row_max);
                             }
                             ++checked;
                           }
                         },
                         {.threads = 0, .memory_budget = std::size_t{64} << 20});
  EXPECT_EQ(next, n);
  EXPECT_EQ(checked, static_cast<int64_t>(probes.size()));
  EXPECT_LE(worst, 5e-6);  // float32 rounding of |W|^2
  // Input 40 MB + tiles and spectra within the 64 MiB budget + plan: far below the 2.5 GB output.
  std::cout << "[ memory   ] max RSS " << rss0 << " MiB before, " << max_rss_mib()
            << " MiB after streaming 2.56 GB of output\n";
  EXPECT_LT(max_rss_mib() - rss0, 400) << "max RSS grew from " << rss0 << " MiB";
}

}  // namespace
}  // namespace swingpipe::cwt
