// O(n) memory: the matrix is never stored. The peak resident set of this process while RQA runs
// on 20 000 points stays far below what even a bit-packed matrix would take (n^2 / 8 = 48 MiB);
// tests/long/test_rqa_memory_long.cpp checks 200 000 points under 200 MB.
#include <gtest/gtest.h>

#include "rqa_test_util.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {
namespace {

TEST(RqaMemory, TwentyThousandPointsNeedNoMatrix) {
  const auto x = test_util::lorenz<float>(20000);
  Options o;
  o.threads = 2;
  o.threshold = Threshold::rate(0.05);  // with the quantile passes
  const double before = test_util::proc_mib("VmRSS:");
  if (before < 0 || !test_util::reset_peak_rss())
    GTEST_SKIP() << "/proc/self/status or /proc/self/clear_refs is not usable here";
  const Result r = recurrence(x, o);
  const double peak = test_util::proc_mib("VmHWM:");
  EXPECT_LT(peak - before, 16.0) << "peak " << peak << " MiB, before " << before << " MiB";
  EXPECT_NEAR(r.measures.rr, 0.05, 1e-6);
  EXPECT_GT(r.measures.det, 0.95);  // the Lorenz attractor is deterministic
}

}  // namespace
}  // namespace swingpipe::rqa
