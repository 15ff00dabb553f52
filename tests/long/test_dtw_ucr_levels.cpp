// Slow DTW validation (label long): the UCR published 1-NN error rates (../shared/data/ucr) at
// every SIMD level, in float32 and float64, and through knn(k = 1) with its pruning.
#include <gtest/gtest.h>

#include "../unit/dtw/dtw_test_util.hpp"
#include "../unit/dtw/ucr_oracle.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "test_support.hpp"

namespace swingpipe::dtw {
namespace {

TEST(DtwUcrLong, PublishedErrorRatesAtEveryLevelAndThroughKnn) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  for (const auto& p : test::published()) {
    const test::UcrSet d = test::load_ucr(data / "ucr", p.name);
    for (Simd level : test::supported_levels()) {
      struct Case {
        Band band;
        double want;
      };
      for (const Case& c :
           {Case{Band::samples(0), p.ed}, Case{Band::fraction(p.window_percent / 100.0), p.learned},
            Case{Band::full(), p.full}}) {
        const Options opt{.band = c.band, .squared = true, .simd = level};
        const double e1 = test::one_nn_error(d, opt);
        const double e2 = test::one_nn_error_knn(d, opt);
        EXPECT_TRUE(test::same_rate(e1, c.want))
            << p.name << " " << to_string(level) << " r=" << c.band.value << ": " << e1;
        EXPECT_TRUE(test::same_rate(e2, c.want))
            << p.name << " knn " << to_string(level) << " r=" << c.band.value << ": " << e2;
      }
    }
  }
}

}  // namespace
}  // namespace swingpipe::dtw
