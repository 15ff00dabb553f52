// RQA on signals whose answers are known from theory, the embeddings, windowed RQA and every
// edge and bad input (empty, one point, NaN, wrong sizes, bad options).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "rqa_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {
namespace {

using test_util::same_result;

/// Channel-major series from columns.
struct Series {
  std::vector<double> data;
  int64_t frames = 0;
  int channels = 0;
  SeriesRef<double> ref() const { return {data.data(), frames, channels}; }
};

Series columns(const std::vector<std::vector<double>>& cols) {
  Series s;
  s.channels = static_cast<int>(cols.size());
  s.frames = static_cast<int64_t>(cols[0].size());
  for (const auto& c : cols) s.data.insert(s.data.end(), c.begin(), c.end());
  return s;
}

TEST(RqaBehaviour, PureSineIsDeterministic) {
  // A sine with a period that is not a whole number of samples (no exact repeats), delay-embedded.
  std::vector<double> s(3000);
  for (std::size_t t = 0; t < s.size(); ++t)
    s[t] = std::sin(2 * std::numbers::pi * static_cast<double>(t) / 37.3);
  const Series series = columns({s});
  for (Norm norm : {Norm::euclidean, Norm::maximum}) {
    Options o;
    o.norm = norm;
    o.threshold = Threshold::fraction(0.1);
    const auto x = embed<double>(series.ref(), Embedding::time_delay(0, 2, 9));
    const Result r = recurrence(x, o);
    EXPECT_GT(r.measures.det, 0.99) << to_string(norm);
    // 37 samples on, the trajectory is 0.3 / 37.3 of a period away (0.05 << eps ~ 0.28): that
    // diagonal is one line over all its cells.
    EXPECT_GE(r.measures.lmax, x.count - 37) << to_string(norm);
    EXPECT_GT(r.measures.rr, 0.01);
  }
}

TEST(RqaBehaviour, WhiteNoiseDeterminismMatchesIndependentCells) {
  // For i.i.d. points, neighbouring cells of one diagonal share no point (with w >= 2) and are
  // independent: a recurrent cell lies on a line of length >= 2 unless neither diagonal neighbour
  // recurs, so DET = 1 - (1 - RR)^2 up to the diagonals' ends. (Vertical neighbours share x_j:
  // LAM has no such closed form.)
  auto rng = test::fresh_rng();
  std::normal_distribution<double> g(0, 1);
  std::vector<double> a(3000), b(3000);
  for (auto& v : a) v = g(rng);
  for (auto& v : b) v = g(rng);
  const auto x = embed<double>(columns({a, b}).ref(), Embedding::of_channels());
  for (double rate : {0.02, 0.1}) {
    Options o;
    o.threshold = Threshold::rate(rate);
    o.theiler = 2;  // no cell shares a point with its diagonal neighbour
    const Result r = recurrence(x, o);
    const double p = r.measures.rr;
    EXPECT_NEAR(p, rate, 1e-3);
    EXPECT_NEAR(r.measures.det, 1 - (1 - p) * (1 - p), 0.01) << "rate " << rate;
  }
}

TEST(RqaBehaviour, ChannelEmbeddingZScores) {
  const Series s = columns({{1, 2, 3, 4}, {10, 10, 10, 10}, {0, 5, 0, 5}});
  const auto p = embed<double>(s.ref(), Embedding::of_channels({0, 2}));
  ASSERT_EQ(p.count, 4);
  ASSERT_EQ(p.dims, 2);
  const double sd = std::sqrt(1.25);  // population std of 1, 2, 3, 4
  EXPECT_DOUBLE_EQ(p.at(0, 0), -1.5 / sd);
  EXPECT_DOUBLE_EQ(p.at(0, 3), 1.5 / sd);
  EXPECT_DOUBLE_EQ(p.at(1, 1), 1.0);  // 0, 5, 0, 5: mean 2.5, std 2.5
  // A constant channel is centred only; zscore off keeps raw values.
  const auto c = embed<double>(s.ref(), Embedding::of_channels({1}));
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(c.at(0, i), 0.0);
  const auto raw = embed<float>(s.ref(), Embedding::of_channels({1}, false));
  EXPECT_EQ(raw.at(0, 2), 10.0f);
}

TEST(RqaBehaviour, DelayEmbedding) {
  const Series s = columns({{0, 1, 2, 3, 4, 5, 6}});
  const auto p = embed<double>(s.ref(), Embedding::time_delay(0, 3, 2, false));
  ASSERT_EQ(p.count, 3);  // 7 - (3 - 1) * 2
  ASSERT_EQ(p.dims, 3);
  for (int64_t i = 0; i < 3; ++i)
    for (int d = 0; d < 3; ++d) EXPECT_EQ(p.at(d, i), static_cast<double>(i + 2 * d));
  EXPECT_THROW(embed<double>(s.ref(), Embedding::time_delay(0, 4, 3)), InputError);  // 10 > 7
  EXPECT_THROW(embed<double>(s.ref(), Embedding::time_delay(1, 2, 1)), InputError);  // channel
  EXPECT_THROW(embed<double>(s.ref(), Embedding::time_delay(0, 0, 1)), InputError);
  EXPECT_THROW(embed<double>(s.ref(), Embedding::time_delay(0, 2, 0)), InputError);
}

TEST(RqaBehaviour, NonFiniteInputIsAnErrorNamingChannelAndFrame) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Series s = columns({{0, 1, 2}, {0, nan, 2}});
  try {
    embed<double>(s.ref(), Embedding::of_channels());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("channel 1 frame 1 is NaN"), std::string::npos)
        << e.what();
  }
  const Series inf = columns({{0, std::numeric_limits<double>::infinity()}});
  EXPECT_THROW(embed<double>(inf.ref(), Embedding::time_delay(0, 1, 1)), InputError);
  EXPECT_THROW(points_from_rows<double>({0, nan}, 1), InputError);
}

TEST(RqaBehaviour, EmptyAndSinglePoint) {
  const Series empty = columns({{}});
  EXPECT_THROW(embed<double>(empty.ref(), Embedding::of_channels()), InputError);
  Points<double> none;  // no points at all: no cells, every ratio NaN
  const Result r0 = recurrence(none, Options{});
  EXPECT_EQ(r0.measures.cells, 0);
  EXPECT_TRUE(std::isnan(r0.measures.rr));
  EXPECT_TRUE(r0.histograms.diagonal.empty());
  const auto one = points_from_rows<double>({3.0}, 1);
  for (Convention c : {Convention::standard, Convention::pyrqa}) {
    Options o;
    o.convention = c;
    o.threshold = Threshold::absolute(1);
    const Result r = recurrence(one, o);
    EXPECT_TRUE(same_result(r, reference_recurrence(one, o)));
    EXPECT_EQ(r.measures.cells, c == Convention::pyrqa ? 1 : 0);
  }
}

TEST(RqaBehaviour, BadOptionsAndShapesAreRefused) {
  const auto x = points_from_rows<double>({0, 1, 2, 3}, 1);
  const auto y2 = points_from_rows<double>({0, 1, 2, 3}, 2);
  auto bad = [&](Options o) { EXPECT_THROW(recurrence(x, o), InputError); };
  Options o;
  o.threshold = Threshold::absolute(0);
  bad(o);
  o.threshold = Threshold::absolute(std::numeric_limits<double>::quiet_NaN());
  bad(o);
  o.threshold = Threshold::fraction(1.5);
  bad(o);
  o.threshold = Threshold::rate(0);
  bad(o);
  o = {};
  o.theiler = -1;
  bad(o);
  o = {};
  o.l_min = 0;
  bad(o);
  o = {};
  o.v_min = -3;
  bad(o);
  o = {};
  o.simd = Simd::avx512;
  if (!cpu_supports(Simd::avx512)) {
    bad(o);
  }
  EXPECT_THROW(cross_recurrence(x, y2, Options{}), InputError);  // dims differ
  EXPECT_THROW(joint_recurrence(x, y2, Options{}), InputError);  // counts differ (4 vs 2)
  Points<double> broken = x;
  broken.values.pop_back();
  EXPECT_THROW(recurrence(broken, Options{}), InputError);
  EXPECT_THROW(windowed(x, 1, 1, Options{}), InputError);
  EXPECT_THROW(windowed(x, 5, 1, Options{}), InputError);
  EXPECT_THROW(windowed(x, 3, 0, Options{}), InputError);
  EXPECT_THROW(parse_norm("euclid"), InputError);
  EXPECT_THROW(parse_convention("pyRQA"), InputError);
  EXPECT_THROW(parse_threshold_kind("relative"), InputError);
  o = {};
  o.backend = Backend::cuda;
  if (!cuda_device_info().available()) {
    EXPECT_THROW(recurrence(x, o), BackendError);
  }
}

TEST(RqaBehaviour, WindowedMeasuresAreEachWindowsOwnMatrix) {
  auto rng = test::fresh_rng();
  const auto x = test_util::random_walk<double>(rng, 700, 2);
  for (Convention c : {Convention::standard, Convention::pyrqa}) {
    Options o;
    o.threshold = Threshold::rate(0.1);
    o.convention = c;
    const Windowed w = windowed(x, 200, 150, o);
    ASSERT_EQ(w.starts, (std::vector<int64_t>{0, 150, 300, 450}));
    EXPECT_EQ(w.epsilon,
              resolve_epsilon<double>(x, nullptr, o.threshold, o));  // the whole trajectory's
    Options abs = o;
    abs.threshold = Threshold::absolute(w.epsilon);
    for (std::size_t k = 0; k < w.starts.size(); ++k) {
      Points<double> sub;
      sub.count = 200;
      sub.dims = 2;
      for (int d = 0; d < 2; ++d)
        for (int64_t i = 0; i < 200; ++i) sub.values.push_back(x.at(d, w.starts[k] + i));
      Result want = reference_recurrence(sub, abs);
      Result got;
      got.epsilon = want.epsilon;
      got.rows = got.cols = 200;
      got.histograms = want.histograms;
      got.measures = w.windows[k];
      EXPECT_TRUE(same_result(got, want)) << "window " << k;
    }
    o.threads = 1;  // the sequential path gives the same
    const Windowed w1 = windowed(x, 200, 150, o);
    for (std::size_t k = 0; k < w.starts.size(); ++k)
      EXPECT_EQ(w1.windows[k].recurrences, w.windows[k].recurrences);
  }
}

TEST(RqaBehaviour, ProgressIsReportedAndCanStopTheRun) {
  auto rng = test::fresh_rng();
  const auto x = test_util::random_points<double>(rng, 2000, 2);
  Options o;
  o.threads = 2;
  std::vector<double> seen;
  o.progress = [&](double f) { seen.push_back(f); };
  recurrence(x, o);
  ASSERT_FALSE(seen.empty());
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
  for (std::size_t k = 1; k < seen.size(); ++k) EXPECT_GE(seen[k], seen[k - 1]);
  o.progress = [](double f) {
    if (f > 0.5) throw InputError("cancelled");
  };
  EXPECT_THROW(recurrence(x, o), InputError);
}

}  // namespace
}  // namespace swingpipe::rqa
