// RQA of 200 000 points (4e10 cells) in O(n) memory: the peak resident set of the whole test
// process stays under 200 MB (the dense matrix would be 40 GB, a bit matrix 5 GB).
#include <gtest/gtest.h>

#include "../unit/rqa/rqa_test_util.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {
namespace {

TEST(RqaLong, TwoHundredThousandPointsUnder200MB) {
  const auto x = test_util::lorenz<float>(200000);
  Options o;
  o.threads = 2;
  o.threshold = Threshold::absolute(1.0);
  if (test_util::proc_mib("VmHWM:") < 0) GTEST_SKIP() << "/proc/self/status is not readable";
  test_util::reset_peak_rss();
  const Result r = recurrence(x, o);
  const double peak = test_util::proc_mib("VmHWM:");
  EXPECT_LT(peak * 1.048576, 200.0) << "peak " << peak << " MiB";
  EXPECT_EQ(r.measures.cells, 200000LL * 199999LL);
  EXPECT_GT(r.measures.rr, 0);
  EXPECT_GT(r.measures.det, 0.95);
  // Every recurrent cell is on exactly one diagonal and one vertical line.
  int64_t on_diagonals = 0;
  for (std::size_t l = 0; l < r.histograms.diagonal.size(); ++l)
    on_diagonals += static_cast<int64_t>(l) * r.histograms.diagonal[l];
  EXPECT_EQ(on_diagonals, r.measures.recurrences);
}

}  // namespace
}  // namespace swingpipe::rqa
