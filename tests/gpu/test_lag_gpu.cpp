// The CUDA lag-matrix backend against the CPU backend on the same fresh random batches (design.md
// §3.1). Skips without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/lag.hpp"
#include "test_support.hpp"

namespace swingpipe::lag {
namespace {

#define SP_REQUIRE_CUDA_LAG()                                                         \
  do {                                                                                \
    const DeviceInfo sp_info_ = cuda_device_info();                                   \
    if (!sp_info_.available()) GTEST_SKIP() << "no CUDA device: " << sp_info_.reason; \
  } while (0)

/// Channel c of each recording: one AR(1) signal delayed by a random 0..30 samples plus noise, so
/// the peaks are clear and both backends must find the same lags.
template <class T>
Batch<T> delayed_batch(std::mt19937_64& rng, const std::vector<int64_t>& lengths, int channels) {
  Batch<T> batch(channels);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int64_t> delay_of(0, 30);
  for (const int64_t len : lengths) {
    std::vector<double> base(static_cast<std::size_t>(len + 30));
    double w = 0;
    for (auto& b : base) b = w = 0.6 * w + normal(rng);
    std::vector<T> v;
    for (int c = 0; c < channels; ++c) {
      const int64_t d = delay_of(rng);
      for (int64_t t = 0; t < len; ++t)
        v.push_back(static_cast<T>(base[static_cast<std::size_t>(t + 30 - d)] + 0.1 * normal(rng)));
    }
    batch.push_back(v, len);
  }
  return batch;
}

template <class T>
void expect_same(const std::vector<Matrix>& gpu, const std::vector<Matrix>& cpu) {
  ASSERT_EQ(gpu.size(), cpu.size());
  const double tol = sizeof(T) == 4 ? 2e-5 : 1e-11;
  for (std::size_t r = 0; r < gpu.size(); ++r) {
    ASSERT_EQ(gpu[r].channels, cpu[r].channels);
    EXPECT_EQ(gpu[r].nan_channels, cpu[r].nan_channels) << "recording " << r;
    for (std::size_t k = 0; k < cpu[r].lag_samples.size(); ++k) {
      const double a = gpu[r].lag_samples[k], b = cpu[r].lag_samples[k];
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b)))
          << "recording " << r << " cell " << k << ": " << a << " vs " << b;
      const double ca = gpu[r].correlation[k], cb = cpu[r].correlation[k];
      if (std::isnan(cb))
        EXPECT_TRUE(std::isnan(ca)) << "recording " << r << " cell " << k;
      else
        EXPECT_NEAR(ca, cb, tol) << "recording " << r << " cell " << k;
      const double sa = gpu[r].lag_seconds[k], sb = cpu[r].lag_seconds[k];
      EXPECT_TRUE(sa == sb || (std::isnan(sa) && std::isnan(sb)));
    }
  }
}

template <class T>
class LagGpu : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(LagGpu, Types);

TYPED_TEST(LagGpu, MatchesTheCpuOnVariableLengthBatches) {
  SP_REQUIRE_CUDA_LAG();
  using T = TypeParam;
  auto rng = test::fresh_rng();
  std::uniform_int_distribution<int64_t> len_of(16, 3000);
  for (const int channels : {1, 2, 7, 30}) {
    std::vector<int64_t> lengths;
    for (int r = 0; r < 13; ++r) lengths.push_back(len_of(rng));
    lengths[4] = 0;
    lengths[5] = 1;
    const Batch<T> batch = delayed_batch<T>(rng, lengths, channels);
    std::vector<double> fs(lengths.size(), 240.0);
    fs[2] = 0;  // unknown rate: NaN seconds on both
    for (const int64_t max_lag : {int64_t{-1}, int64_t{0}, int64_t{25}}) {
      Plan gpu({.max_lag = max_lag, .backend = Backend::cuda});
      Plan cpu({.max_lag = max_lag, .backend = Backend::cpu});
      expect_same<T>(gpu.matrices<T>(batch.view(), fs), cpu.matrices<T>(batch.view(), fs));
    }
  }
}

TYPED_TEST(LagGpu, NanConstantAndHugeChannelsMatchTheCpu) {
  SP_REQUIRE_CUDA_LAG();
  using T = TypeParam;
  auto rng = test::fresh_rng();
  Batch<T> batch = delayed_batch<T>(rng, {500, 400, 300}, 5);
  const std::size_t r1 = static_cast<std::size_t>(batch.offsets[1] * 5);
  batch.values[r1 + 2 * 400 + 17] = std::numeric_limits<T>::quiet_NaN();  // rec 1, ch 2
  for (int t = 0; t < 400; ++t) batch.values[r1 + 3 * 400 + t] = T(3);    // rec 1, ch 3
  batch.values[r1 + 4 * 400] = std::numeric_limits<T>::infinity();        // rec 1, ch 4
  const std::size_t r2 = static_cast<std::size_t>(batch.offsets[2] * 5);
  for (int t = 0; t < 300; ++t) batch.values[r2 + t] *= T(sizeof(T) == 4 ? 1e30 : 1e300);
  const std::vector<double> fs{100, 100, 100};
  Plan gpu({.backend = Backend::cuda});
  const auto got = gpu.matrices<T>(batch.view(), fs);
  expect_same<T>(got, Plan().matrices<T>(batch.view(), fs));
  EXPECT_EQ(got[1].nan_channels, (std::vector<int>{2, 4}));
  EXPECT_EQ(got[1].samples(0, 3), 0.0);
  EXPECT_TRUE(std::isnan(got[1].corr(0, 3)));
}

TEST(LagGpuChunks, ManyRecordingsSpanSeveralChunksAndPlansAreReused) {
  SP_REQUIRE_CUDA_LAG();
  auto rng = test::fresh_rng();
  // 150 recordings x 30 channels x 2000 frames in float64 need ~4.5 GB of working buffers: the
  // backend splits them into chunks of its 1 GiB budget.
  const std::vector<int64_t> lengths(150, 2000);
  const Batch<double> batch = delayed_batch<double>(rng, lengths, 30);
  const std::vector<double> fs(lengths.size(), 240.0);
  Plan gpu({.backend = Backend::cuda});
  const auto got = gpu.matrices<double>(batch.view(), fs);
  const auto made = gpu.stats().fft_plans_made;
  EXPECT_GE(made, 2);
  expect_same<double>(got, Plan().matrices<double>(batch.view(), fs));
  gpu.matrices<double>(batch.view(), fs);
  EXPECT_EQ(gpu.stats().fft_plans_made, made);
  EXPECT_GT(gpu.stats().fft_plan_hits, 0);
}

}  // namespace
}  // namespace swingpipe::lag
