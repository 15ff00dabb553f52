// The kinematic sequence (lag.hpp): peaks of known bumps, the demo generator's own sequence, and
// the edge cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/host/demo_swing.hpp"
#include "swingpipe/kernels/lag.hpp"
#include "test_support.hpp"

namespace swingpipe::lag {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// amp * exp(-(t - centre)^2 / (2 w^2)) sampled at fs for `length` frames.
std::vector<double> gaussian(int64_t length, double fs, double centre, double w, double amp) {
  std::vector<double> v(static_cast<std::size_t>(length));
  for (int64_t i = 0; i < length; ++i) {
    const double t = static_cast<double>(i) / fs - centre;
    v[static_cast<std::size_t>(i)] = amp * std::exp(-t * t / (2 * w * w));
  }
  return v;
}

TEST(KinematicSequence, FindsTheTimesSpeedsOrderAndGapsOfKnownPeaks) {
  auto rng = test::fresh_rng();
  std::uniform_real_distribution<double> jitter(-0.01, 0.01);
  const double fs = 200;
  const int64_t length = 300;
  const double centre[4] = {0.60 + jitter(rng), 0.70 + jitter(rng), 0.78 + jitter(rng),
                            0.85 + jitter(rng)};
  const double speed[4] = {7.0, 11.0, 17.0, 40.0};
  std::vector<double> values;
  for (int s = 0; s < 4; ++s) {
    // Negative peaks count by their magnitude (angular speed): the club's is negative here.
    const auto g = gaussian(length, fs, centre[s], 0.05, s == 3 ? -speed[s] : speed[s]);
    values.insert(values.end(), g.begin(), g.end());
  }
  const int components[4] = {1, 1, 1, 1};
  const Sequence seq = kinematic_sequence<double>({values.data(), length, 4}, components, fs);
  ASSERT_EQ(seq.peaks.size(), 4u);
  for (int s = 0; s < 4; ++s) {
    // A parabola through three samples of a Gaussian of width 10 samples: within 0.01 sample.
    EXPECT_NEAR(seq.peaks[s].time, centre[s], 0.01 / fs) << s;
    EXPECT_NEAR(seq.peaks[s].speed, speed[s], 1e-3 * speed[s]) << s;
    EXPECT_EQ(seq.peaks[s].sample, std::lround(centre[s] * fs)) << s;
    EXPECT_DOUBLE_EQ(seq.peaks[s].time, seq.peaks[s].frame / fs);
  }
  EXPECT_EQ(seq.order, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_EQ(seq.gaps.size(), 3u);
  for (int s = 0; s < 3; ++s) {
    EXPECT_NEAR(seq.gaps[s], centre[s + 1] - centre[s], 0.02 / fs);
    EXPECT_DOUBLE_EQ(seq.gap_frames[s], seq.peaks[s + 1].frame - seq.peaks[s].frame);
  }
  EXPECT_TRUE(seq.complete);
  EXPECT_TRUE(seq.proximal_to_distal);
  EXPECT_TRUE(seq.speeds_increase);

  // Without refinement: the peak samples themselves.
  const Sequence raw =
      kinematic_sequence<double>({values.data(), length, 4}, components, fs, {.refine = false});
  for (int s = 0; s < 4; ++s) {
    EXPECT_EQ(raw.peaks[s].frame, static_cast<double>(raw.peaks[s].sample));
    EXPECT_EQ(raw.peaks[s].speed, std::fabs(values[s * length + raw.peaks[s].sample]));
  }

  // Thorax peaking before the pelvis: not proximal to distal, and the order says so.
  std::vector<double> swapped(values);
  std::copy(values.begin(), values.begin() + length, swapped.begin() + length);
  std::copy(values.begin() + length, values.begin() + 2 * length, swapped.begin());
  const Sequence bad = kinematic_sequence<double>({swapped.data(), length, 4}, components, fs);
  EXPECT_EQ(bad.order, (std::vector<int>{1, 0, 2, 3}));
  EXPECT_FALSE(bad.proximal_to_distal);
  EXPECT_LT(bad.gaps[0], 0);
  EXPECT_FALSE(bad.speeds_increase);  // the thorax's 11 rad/s now comes first
}

TEST(KinematicSequence, VectorSegmentsUseTheNorm) {
  const double fs = 100;
  const int64_t length = 100;
  // Segment 0: one channel peaking at 0.3 s; segment 1: three components whose norm peaks at 0.6 s.
  std::vector<double> values = gaussian(length, fs, 0.3, 0.04, 5.0);
  const auto a = gaussian(length, fs, 0.6, 0.04, 6.0);
  for (const double f : {0.6, 0.0, -0.8})
    for (const double v : a) values.push_back(f * v);
  const int components[2] = {1, 3};
  const Sequence seq = kinematic_sequence<double>({values.data(), length, 4}, components, fs);
  EXPECT_NEAR(seq.peaks[1].time, 0.6, 0.01 / fs);
  EXPECT_NEAR(seq.peaks[1].speed, 6.0, 6e-3);  // |(0.6, 0, -0.8)| = 1
  EXPECT_TRUE(seq.proximal_to_distal);
  std::vector<float> f(values.begin(), values.end());
  const Sequence seq32 = kinematic_sequence<float>({f.data(), length, 4}, components, fs);
  EXPECT_NEAR(seq32.peaks[1].time, seq.peaks[1].time, 1e-5);
}

TEST(KinematicSequence, NanEmptyAndUnknownRateAreExplicit) {
  const double fs = 100;
  const int64_t length = 80;
  std::vector<double> values = gaussian(length, fs, 0.5, 0.05, 3.0);
  const auto b = gaussian(length, fs, 0.2, 0.05, 9.0);
  values.insert(values.end(), b.begin(), b.end());
  const auto c = gaussian(length, fs, 0.6, 0.05, 12.0);
  values.insert(values.end(), c.begin(), c.end());
  values[length + 10] = kNaN;  // segment 1 holds a NaN
  const int components[3] = {1, 1, 1};
  const Sequence seq = kinematic_sequence<double>({values.data(), length, 3}, components, fs);
  EXPECT_FALSE(seq.complete);
  EXPECT_FALSE(seq.proximal_to_distal);
  EXPECT_FALSE(seq.speeds_increase);
  EXPECT_EQ(seq.peaks[1].sample, -1);
  EXPECT_TRUE(std::isnan(seq.peaks[1].time));
  EXPECT_TRUE(std::isnan(seq.peaks[1].speed));
  EXPECT_TRUE(std::isnan(seq.gaps[0]));
  EXPECT_TRUE(std::isnan(seq.gaps[1]));
  EXPECT_EQ(seq.order, (std::vector<int>{0, 2, 1}));  // the missing peak last
  values[length + 10] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(kinematic_sequence<double>({values.data(), length, 3}, components, fs).peaks[1].sample,
            -1);
  values[length + 10] = 0;

  // Sample rate unknown: frames, no seconds.
  const Sequence nofs = kinematic_sequence<double>({values.data(), length, 3}, components, 0.0);
  EXPECT_TRUE(std::isnan(nofs.peaks[0].time));
  EXPECT_NEAR(nofs.peaks[0].frame, 50.0, 0.01);
  EXPECT_EQ(nofs.order, (std::vector<int>{1, 0, 2}));
  EXPECT_FALSE(nofs.proximal_to_distal);  // decided on frames
  EXPECT_TRUE(nofs.complete);

  // No samples at all; one sample.
  const Sequence empty = kinematic_sequence<double>({values.data(), 0, 3}, components, fs);
  EXPECT_FALSE(empty.complete);
  EXPECT_EQ(empty.peaks[2].sample, -1);
  const double one[3] = {1.0, -2.0, 3.0};
  const Sequence single = kinematic_sequence<double>({one, 1, 3}, components, fs);
  EXPECT_TRUE(single.complete);
  EXPECT_EQ(single.peaks[1].speed, 2.0);
  EXPECT_EQ(single.peaks[1].time, 0.0);
  EXPECT_FALSE(single.proximal_to_distal);  // equal times are no sequence

  // Bad input.
  const int too_many[2] = {2, 2};
  EXPECT_THROW(kinematic_sequence<double>({values.data(), length, 3}, too_many, fs), InputError);
  const int zero[3] = {1, 0, 2};
  EXPECT_THROW(kinematic_sequence<double>({values.data(), length, 3}, zero, fs), InputError);
  EXPECT_THROW(kinematic_sequence<double>({values.data(), length, 3}, components, -5.0),
               InputError);
  EXPECT_THROW(kinematic_sequence<double>({values.data(), length, 3}, components, kNaN),
               InputError);
}

TEST(KinematicSequence, RecoversTheDemoGeneratorsOrderAndDelays) {
  // The demo swings are built proximal to distal (host/engine/demo_swing.cpp): each joint's
  // downswing velocity bump is centred later and higher than the one before. The analysis must
  // find those centres (within the small smooth noise the generator adds), their order and gaps.
  demo::SwingOptions opt;
  opt.count = 24;
  std::vector<demo::SwingTruth> truth;
  const auto swings = demo::generate_swings(opt, &truth);
  ASSERT_EQ(truth.size(), swings.size());
  double worst_time = 0, worst_speed = 0;
  for (std::size_t s = 0; s < swings.size(); ++s) {
    const Recording& rec = swings[s];
    std::vector<double> values;
    std::vector<std::size_t> joint;
    for (const auto name : demo::kSequence) {
      const std::string channel = std::string(name) + "_vel";
      const auto it = std::find(rec.channels.begin(), rec.channels.end(), channel);
      ASSERT_NE(it, rec.channels.end()) << channel;
      const auto c = static_cast<int>(it - rec.channels.begin());
      values.insert(values.end(), rec.channel(c), rec.channel(c) + rec.frames());
      joint.push_back(static_cast<std::size_t>(
          std::find(demo::kJoints.begin(), demo::kJoints.end(), name) - demo::kJoints.begin()));
    }
    const std::vector<int> components(demo::kSequence.size(), 1);
    const Sequence seq = kinematic_sequence<double>(
        {values.data(), rec.frames(), static_cast<int>(components.size())}, components,
        rec.sample_rate);
    EXPECT_TRUE(seq.proximal_to_distal) << "swing " << s;
    EXPECT_TRUE(seq.speeds_increase) << "swing " << s;
    EXPECT_EQ(seq.order, (std::vector<int>{0, 1, 2, 3, 4})) << "swing " << s;
    for (std::size_t k = 0; k < joint.size(); ++k) {
      const double t = truth[s].peak_time[joint[k]], v = truth[s].peak_speed[joint[k]];
      worst_time = std::max(worst_time, std::fabs(seq.peaks[k].time - t));
      worst_speed = std::max(worst_speed, std::fabs(seq.peaks[k].speed - v) / v);
      EXPECT_NEAR(seq.peaks[k].time, t, 0.003)
          << "swing " << s << " joint " << demo::kJoints[joint[k]];
      EXPECT_NEAR(seq.peaks[k].speed, v, 0.02 * v) << "swing " << s;
      if (k > 0) {
        const double gap = t - truth[s].peak_time[joint[k - 1]];
        EXPECT_NEAR(seq.gaps[k - 1], gap, 0.005) << "swing " << s;
      }
    }
  }
  std::cout << "[ demo     ] worst peak-time error " << worst_time * 1e3
            << " ms, worst relative peak-speed error " << worst_speed << "\n";
}

}  // namespace
}  // namespace swingpipe::lag
