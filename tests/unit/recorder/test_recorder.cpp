// The recorder: columns grow together, geometrically, up to the cap; one warning at the cap.
// spdlog as swingpipe_host is compiled against it (shared, compiled library, external fmt), so the
// test's sink sees the library's default logger.
#ifndef SPDLOG_COMPILED_LIB
#define SPDLOG_COMPILED_LIB
#endif
#ifndef SPDLOG_SHARED_LIB
#define SPDLOG_SHARED_LIB
#endif
#ifndef SPDLOG_FMT_EXTERNAL
#define SPDLOG_FMT_EXTERNAL
#endif
#ifndef FMT_SHARED
#define FMT_SHARED
#endif
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <mutex>

#include "swingpipe/error.hpp"
#include "swingpipe/host/recorder.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

/// Counts warnings sent to the default logger while it lives.
class WarningCounter : public spdlog::sinks::base_sink<std::mutex> {
 public:
  int warnings = 0;
  std::string last;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level == spdlog::level::warn) {
      ++warnings;
      last.assign(msg.payload.data(), msg.payload.size());
    }
  }
  void flush_() override {}
};

class CaptureWarnings {
 public:
  CaptureWarnings()
      : sink_(std::make_shared<WarningCounter>()), previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink_));
  }
  ~CaptureWarnings() { spdlog::set_default_logger(previous_); }
  const WarningCounter& sink() const { return *sink_; }

 private:
  std::shared_ptr<WarningCounter> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

const std::vector<FieldSpec> kFields = {
    {"time", 1}, {"q", 7}, {"qd", 7}, {"club_speed", 1}, {"com", 3}};
constexpr int kWidth = 1 + 7 + 7 + 1 + 3;

/// The value of column `c` at sample `t`, from a per-run offset (exact in float64).
double value(double base, int64_t t, int c) {
  return base + static_cast<double>(t) * 32 + c;
}

TEST(Recorder, QuarterMillionSamplesReadBackExactlyWithGeometricGrowth) {
  auto rng = test::fresh_rng();
  const double base = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
  Recorder rec(kFields);
  EXPECT_EQ(rec.capacity(), 1000);
  constexpr int64_t n = 250'000;
  std::vector<double> sample(kWidth);
  int growths = 0;
  int64_t expected_capacity = 1000;
  for (int64_t t = 0; t < n; ++t) {
    for (int c = 0; c < kWidth; ++c) sample[static_cast<std::size_t>(c)] = value(base, t, c);
    ASSERT_TRUE(rec.record(sample));
    if (rec.capacity() != expected_capacity) {
      ASSERT_EQ(t, expected_capacity) << "grew before the columns were full";
      ++growths;
      expected_capacity =
          static_cast<int64_t>(std::ceil(static_cast<double>(expected_capacity) * 1.5));
      ASSERT_EQ(rec.capacity(), expected_capacity) << "at sample " << t;
    }
    ASSERT_GE(rec.capacity(), rec.size());
  }
  // 1000 * 1.5^k >= 250000  =>  k = ceil(log(250) / log(1.5)) = 14 growth steps.
  EXPECT_EQ(growths, 14);
  EXPECT_EQ(rec.size(), n);
  int column = 0;
  for (int f = 0; f < static_cast<int>(kFields.size()); ++f)
    for (int k = 0; k < kFields[static_cast<std::size_t>(f)].width; ++k, ++column) {
      const auto col = rec.column(f, k);
      ASSERT_EQ(static_cast<int64_t>(col.size()), n);
      for (int64_t t = 0; t < n; ++t)
        ASSERT_EQ(col[static_cast<std::size_t>(t)], value(base, t, column)) << f << "," << k;
    }
}

TEST(Recorder, GrowsOnlyWhenFullAndEveryFieldTogether) {
  Recorder::Options opt;
  opt.initial_capacity = 4;
  opt.growth = 2;
  Recorder rec({{"a", 1}, {"b", 3}}, opt);
  std::vector<int64_t> capacities;
  for (int t = 0; t < 40; ++t) {
    const std::vector<double> s = {1.0 * t, 2.0 * t, 3.0 * t, 4.0 * t};
    ASSERT_TRUE(rec.record(s));
    capacities.push_back(rec.capacity());
  }
  EXPECT_EQ(capacities[3], 4);
  EXPECT_EQ(capacities[4], 8);
  EXPECT_EQ(capacities[8], 16);
  EXPECT_EQ(capacities[16], 32);
  EXPECT_EQ(capacities[32], 64);
  EXPECT_EQ(rec.column(1, 2)[39], 4.0 * 39);
  rec.clear();
  EXPECT_EQ(rec.size(), 0);
  EXPECT_EQ(rec.capacity(), 64);
}

TEST(Recorder, StopsAtTheCapWithOneWarningKeepingItsData) {
  CaptureWarnings capture;
  Recorder::Options opt;
  opt.initial_capacity = 10;
  opt.growth = 1.5;
  opt.max_samples = 100;  // 10, 15, 23, 35, 53, 80, then capped at 100 (not 120)
  Recorder rec({{"t", 1}, {"x", 2}}, opt);
  int64_t t = 0;
  while (rec.record(std::vector<double>{1.0 * t, -1.0 * t, 0.5 * t})) {
    ASSERT_LE(rec.capacity(), 100);
    ++t;
  }
  EXPECT_EQ(t, 100);
  EXPECT_EQ(rec.size(), 100);
  EXPECT_EQ(rec.capacity(), 100);
  EXPECT_TRUE(rec.full());
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(rec.record(std::vector<double>{1, 2, 3}));
  EXPECT_EQ(rec.size(), 100);
  EXPECT_EQ(capture.sink().warnings, 1);
  EXPECT_NE(capture.sink().last.find("100"), std::string::npos) << capture.sink().last;
  for (int64_t i = 0; i < 100; ++i) {
    EXPECT_EQ(rec.column(0)[static_cast<std::size_t>(i)], 1.0 * i);
    EXPECT_EQ(rec.column(1, 1)[static_cast<std::size_t>(i)], 0.5 * i);
  }
}

TEST(Recorder, InitialCapacityAboveTheCapIsClamped) {
  Recorder::Options opt;
  opt.initial_capacity = 1000;
  opt.max_samples = 3;
  Recorder rec({{"x", 1}}, opt);
  EXPECT_EQ(rec.capacity(), 3);
}

TEST(Recorder, BadArgumentsAreInputErrors) {
  auto with = [](auto change) {
    Recorder::Options o;
    change(o);
    return o;
  };
  EXPECT_THROW(Recorder({}), InputError);
  EXPECT_THROW(Recorder({{"", 1}}), InputError);
  EXPECT_THROW(Recorder({{"q", 1}, {"q", 2}}), InputError);
  EXPECT_THROW(Recorder({{"q", 0}}), InputError);
  EXPECT_THROW(Recorder({{"q", 1}}, with([](auto& o) { o.initial_capacity = 0; })), InputError);
  EXPECT_THROW(Recorder({{"q", 1}}, with([](auto& o) { o.growth = 1.0; })), InputError);
  EXPECT_THROW(Recorder({{"q", 1}}, with([](auto& o) { o.growth = NAN; })), InputError);
  EXPECT_THROW(Recorder({{"q", 1}}, with([](auto& o) { o.max_samples = 0; })), InputError);
  Recorder rec({{"q", 2}, {"t", 1}});
  EXPECT_THROW(rec.record(std::vector<double>{1, 2}), InputError);
  EXPECT_THROW(rec.record(std::vector<double>{1, 2, 3, 4}), InputError);
  EXPECT_EQ(rec.size(), 0);
  EXPECT_THROW(rec.column(2), InputError);
  EXPECT_THROW(rec.column(0, 2), InputError);
}

TEST(Recorder, ToRecordingIsChannelMajorWithNamedChannels) {
  auto rng = test::fresh_rng();
  Recorder rec({{"time", 1}, {"q", 3}, {"com", 2}});
  const int64_t n = std::uniform_int_distribution<int64_t>(1, 3000)(rng);
  std::vector<std::vector<double>> samples;
  for (int64_t t = 0; t < n; ++t) {
    samples.push_back(test::random_values(rng, 6));
    ASSERT_TRUE(rec.record(samples.back()));
  }
  RecordingMeta meta;
  meta.filename = "sim.json";
  meta.golfer_name = "robot";
  const Recording r = rec.to_recording(meta, 500);
  EXPECT_EQ(r.channels,
            (std::vector<std::string>{"time", "q[0]", "q[1]", "q[2]", "com[0]", "com[1]"}));
  EXPECT_EQ(r.meta.num_frames, n);
  EXPECT_EQ(r.meta.filename, "sim.json");
  EXPECT_EQ(r.meta.golfer_name, "robot");
  EXPECT_EQ(r.sample_rate, 500);
  ASSERT_EQ(r.data.size(), static_cast<std::size_t>(6 * n));
  for (int c = 0; c < 6; ++c)
    for (int64_t t = 0; t < n; ++t)
      ASSERT_EQ(r.data[static_cast<std::size_t>(c * n + t)],
                samples[static_cast<std::size_t>(t)][static_cast<std::size_t>(c)]);
  EXPECT_NO_THROW(validate(r, "recorder output"));
  Recorder empty({{"x", 1}});
  EXPECT_EQ(empty.to_recording({}, 100).data.size(), 0u);
}

}  // namespace
}  // namespace swingpipe
