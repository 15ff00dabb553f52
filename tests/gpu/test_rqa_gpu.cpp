// The CUDA RQA backend against the CPU backend on the same fresh random trajectories (design.md
// §3.1): thresholds, histograms and measures equal exactly for every norm and threshold kind,
// both conventions, float32 and float64, auto-, cross- and joint recurrence and windowed RQA, and
// a large case against the CPU path. Skips without a device.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../unit/rqa/rqa_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {
namespace {

using test_util::same_result;

#define SP_REQUIRE_CUDA()                                                             \
  do {                                                                                \
    const DeviceInfo sp_info_ = cuda_device_info();                                   \
    if (!sp_info_.available()) GTEST_SKIP() << "no CUDA device: " << sp_info_.reason; \
  } while (0)

std::vector<Threshold> thresholds() {
  return {Threshold::absolute(0.4), Threshold::fraction(0.1), Threshold::rate(0.05),
          Threshold::rate(0.3)};
}

Options with(Norm norm, Threshold th, Convention c, std::optional<int64_t> w, Backend b) {
  Options o;
  o.norm = norm;
  o.threshold = th;
  o.convention = c;
  o.theiler = w;
  o.backend = b;
  return o;
}

template <class T>
void auto_and_cross(std::mt19937_64& rng, int64_t n, int64_t m) {
  const Points<T> x = test_util::random_walk<T>(rng, n, 3);
  const Points<T> y = test_util::random_walk<T>(rng, m, 3);
  const Points<T> b = test_util::random_points<T>(rng, n, 1);
  for (Norm norm : {Norm::euclidean, Norm::maximum, Norm::manhattan})
    for (const Threshold& th : thresholds())
      for (Convention c : {Convention::standard, Convention::pyrqa})
        for (int64_t w : {0, 1, 5}) {
          const Options cpu = with(norm, th, c, w, Backend::cpu);
          const Options gpu = with(norm, th, c, w, Backend::cuda);
          const std::string what = std::string(to_string(norm)) + " " +
                                   std::string(to_string(th.kind)) + " " +
                                   std::string(to_string(c)) + " w=" + std::to_string(w) +
                                   " n=" + std::to_string(n) + " m=" + std::to_string(m);
          ASSERT_TRUE(same_result(recurrence(x, gpu), recurrence(x, cpu))) << "auto " << what;
          ASSERT_TRUE(same_result(cross_recurrence(x, y, gpu), cross_recurrence(x, y, cpu)))
              << "cross " << what;
          ASSERT_TRUE(same_result(joint_recurrence(x, b, gpu), joint_recurrence(x, b, cpu)))
              << "joint " << what;
        }
}

TEST(RqaGpu, EqualsTheCpuBackendExactly) {
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  auto_and_cross<double>(rng, 300, 257);
  auto_and_cross<float>(rng, 1000, 64);
  auto_and_cross<float>(rng, 1, 3);
}

TEST(RqaGpu, EqualsTheDenseReferenceWithTies) {
  SP_REQUIRE_CUDA();
  auto rng = test::fresh_rng();
  const Points<double> x = test_util::random_points<double>(rng, 150, 2, true);
  for (Norm norm : {Norm::euclidean, Norm::maximum, Norm::manhattan})
    for (const Threshold& th : thresholds()) {
      const Options o = with(norm, th, Convention::standard, 1, Backend::cuda);
      ASSERT_TRUE(same_result(recurrence(x, o), reference_recurrence(x, o)));
    }
}

TEST(RqaGpu, LargeMatrixAndWindowsEqualTheCpu) {
  SP_REQUIRE_CUDA();
  const Points<float> x = test_util::lorenz<float>(30000);
  for (const Threshold& th : {Threshold::fraction(0.1), Threshold::rate(0.05)}) {
    const Result gpu =
        recurrence(x, with(Norm::euclidean, th, Convention::standard, 1, Backend::cuda));
    const Result cpu =
        recurrence(x, with(Norm::euclidean, th, Convention::standard, 1, Backend::cpu));
    EXPECT_TRUE(same_result(gpu, cpu));
    EXPECT_EQ(gpu.backend, Backend::cuda);
  }
  const Options wo = with(Norm::maximum, Threshold::rate(0.1), Convention::pyrqa, 1, Backend::cuda);
  Options wc = wo;
  wc.backend = Backend::cpu;
  const Windowed g = windowed(x, 2000, 1500, wo), c = windowed(x, 2000, 1500, wc);
  ASSERT_EQ(g.starts, c.starts);
  EXPECT_EQ(g.epsilon, c.epsilon);
  for (std::size_t k = 0; k < g.windows.size(); ++k) {
    EXPECT_EQ(g.windows[k].recurrences, c.windows[k].recurrences) << k;
    EXPECT_EQ(g.windows[k].lmax, c.windows[k].lmax) << k;
    EXPECT_TRUE(test_util::same_number(g.windows[k].det, c.windows[k].det)) << k;
    EXPECT_TRUE(test_util::same_number(g.windows[k].tt, c.windows[k].tt)) << k;
  }
}

}  // namespace
}  // namespace swingpipe::rqa
