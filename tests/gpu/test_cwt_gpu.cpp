// The CUDA CWT backend against the CPU backend on the same fresh random inputs (design.md §3.1),
// for every transform (complex, power, magnitude, tiles, cross-wavelet), shape (one block and
// many, one channel and several, lengths below the plan's) and precision; and against the
// direct-summation oracle in float64. Skips without a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <random>
#include <vector>

#include "../../kernels/cuda/cwt_cuda.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/cwt.hpp"
#include "test_support.hpp"

namespace swingpipe::cwt {
namespace {

// Skips without a device, fails under SWINGPIPE_REQUIRE_GPU=1 (tools/device-check.sh).
#define SP_REQUIRE_CUDA() SWINGPIPE_REQUIRE_CUDA()

template <class T>
double tolerance() {
  return sizeof(T) == 4 ? 3e-6 : 1e-12;
}

/// max |gpu - cpu| / max |cpu| over each row of n values; every row within tol.
template <class V>
void expect_rows_close(const std::vector<V>& gpu, const std::vector<V>& cpu, int64_t n, double tol,
                       const char* what) {
  ASSERT_EQ(gpu.size(), cpu.size());
  for (std::size_t r = 0; r * n < cpu.size(); ++r) {
    double err = 0, scale = 0;
    for (int64_t t = 0; t < n; ++t) {
      const auto g = gpu[r * n + t], c = cpu[r * n + t];
      if (std::isnan(std::abs(c))) {
        ASSERT_TRUE(std::isnan(std::abs(g))) << what << " row " << r << " t " << t;
        continue;
      }
      err = std::max(err, static_cast<double>(std::abs(g - c)));
      scale = std::max(scale, static_cast<double>(std::abs(c)));
    }
    EXPECT_LE(err, tol * std::max(scale, 1e-300)) << what << " row " << r;
  }
}

Spec spec_of(int64_t n, std::vector<double> freqs, Precision p, Backend b, int64_t block = 0) {
  return {.length = n,
          .frequencies = std::move(freqs),
          .omega0 = 6.0,
          .sample_rate = 100.0,
          .precision = p,
          .backend = b,
          .block_size = block};
}

template <class T>
void compare_all_outputs(std::mt19937_64& rng, int64_t plan_n, int64_t n, int C,
                         std::vector<double> freqs, int64_t block) {
  const Plan cpu(spec_of(plan_n, freqs, precision_of<T>(), Backend::cpu, block));
  const Plan gpu(spec_of(plan_n, freqs, precision_of<T>(), Backend::cuda, block));
  ASSERT_EQ(gpu.backend(), Backend::cuda);
  const std::vector<T> x = test::random_values<T>(rng, static_cast<std::size_t>(C * n));
  const SeriesRef<T> xs{x.data(), n, C};
  const std::size_t size = static_cast<std::size_t>(C) * freqs.size() * n;
  std::vector<std::complex<T>> wc(size), wg(size);
  transform<T>(cpu, xs, wc);
  transform<T>(gpu, xs, wg);
  expect_rows_close(wg, wc, n, tolerance<T>(), "complex");
  for (Output kind : {Output::power, Output::magnitude}) {
    std::vector<T> rc(size), rg(size);
    transform<T>(cpu, xs, kind, rc);
    transform<T>(gpu, xs, kind, rg);
    expect_rows_close(rg, rc, n, 2 * tolerance<T>(), kind == Output::power ? "power" : "magnitude");
  }
  // Tiles: the same values as the device's own whole-array transform, in order.
  std::vector<std::complex<T>> tiled(size);
  int64_t next = 0;
  transform_tiles<T>(gpu, xs, [&](int64_t t0, int64_t count, std::span<const std::complex<T>> t) {
    EXPECT_EQ(t0, next);
    next = t0 + count;
    for (std::size_t row = 0; row < C * freqs.size(); ++row)
      std::copy(t.begin() + row * count, t.begin() + (row + 1) * count,
                tiled.begin() + row * n + t0);
  });
  EXPECT_EQ(next, n);
  expect_rows_close(tiled, wg, n, 0.0, "tiles");
}

TEST(CwtGpu, OneBlockEveryOutputBothPrecisions) {
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  compare_all_outputs<double>(rng, 3000, 3000, 1, geometric_frequencies(1, 45, 16), 0);
  compare_all_outputs<float>(rng, 3000, 3000, 1, geometric_frequencies(1, 45, 16), 0);
  compare_all_outputs<float>(rng, 1, 1, 2, {5.0, 20.0}, 0);
  compare_all_outputs<double>(rng, 50, 50, 1, geometric_frequencies(0.2, 49, 7), 0);
}

TEST(CwtGpu, ManyBlocksManyChannelsAndShorterSignals) {
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  compare_all_outputs<float>(rng, 50000, 50000, 3, geometric_frequencies(2, 45, 24), 4096);
  compare_all_outputs<double>(rng, 50000, 41234, 2, geometric_frequencies(2, 45, 9), 4096);
  // More scales than one inverse batch holds with large blocks (the tail batch).
  compare_all_outputs<float>(rng, 300000, 300000, 1, geometric_frequencies(0.5, 45, 300), 0);
}

TEST(CwtGpu, MatchesDirectSummation) {
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const int64_t n = 1500;
  const std::vector<double> freqs = geometric_frequencies(0.8, 40, 10);
  const std::vector<double> x = test::random_values(rng, n);
  std::vector<std::complex<double>> ref(freqs.size() * n), got(ref.size());
  reference_transform(x, freqs, 6.0, 100.0, ref);
  const Plan gpu(spec_of(n, freqs, Precision::float64, Backend::cuda));
  transform<double>(gpu, {x.data(), n, 1}, got);
  expect_rows_close(got, ref, n, 1e-9, "direct sum");
}

TEST(CwtGpu, NanChannelCrossAndRepeatedCalls) {
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const int64_t n = 9000;
  const std::vector<double> freqs = geometric_frequencies(2, 40, 12);
  const Plan cpu(spec_of(n, freqs, Precision::float32, Backend::cpu, 4096));
  const Plan gpu(spec_of(n, freqs, Precision::float32, Backend::cuda, 4096));
  std::vector<float> x = test::random_values<float>(rng, 3 * n);
  x[n + 17] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> pc(3 * 12 * n), pg(pc.size());
  transform<float>(cpu, {x.data(), n, 3}, Output::power, pc);
  for (int rep = 0; rep < 3; ++rep) {  // the plan's buffers and streams are reused
    std::fill(pg.begin(), pg.end(), -1.0f);
    transform<float>(gpu, {x.data(), n, 3}, Output::power, pg);
    expect_rows_close(pg, pc, n, 6e-6, "power with a NaN channel");
  }
  const std::span<const float> a(x.data(), n), b(x.data() + 2 * n, n);
  std::vector<std::complex<float>> cc(12 * n), cg(12 * n);
  cross<float>(cpu, a, b, cc);
  cross<float>(gpu, a, b, cg);
  expect_rows_close(cg, cc, n, 1e-5, "cross");
}

TEST(CwtGpu, DeviceTimingHook) {
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const int64_t n = 1 << 16;
  const Plan gpu(spec_of(n, geometric_frequencies(1, 45, 64), Precision::float32, Backend::cuda));
  const std::vector<float> x = test::random_values<float>(rng, n);
  const double s = cuda::device_seconds<float>(gpu, {x.data(), n, 1}, Output::power, 2);
  EXPECT_GT(s, 0.0);
  std::cout << "[ rate     ] cwt power32 1 x 64 x 2^16 on the device: " << 64.0 * n / s * 1e-9
            << " G coefficients/s, " << 64.0 * n * 4 / s * 1e-9 << " GB/s of output\n";
}

TEST(CwtGpu, CudaPlanWithoutDeviceIsRefused) {
  if (cuda_device_info().available()) GTEST_SKIP() << "a device is present";
  EXPECT_THROW(Plan(spec_of(100, {5.0}, Precision::float32, Backend::cuda)), BackendError);
  // automatic falls back to the CPU.
  const Plan p(spec_of(100, {5.0}, Precision::float32, Backend::automatic));
  EXPECT_EQ(p.backend(), Backend::cpu);
}

}  // namespace
}  // namespace swingpipe::cwt
