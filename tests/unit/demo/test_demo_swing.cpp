// Demo swings: determinism, layout and metadata, kinematic sequence, velocity consistency,
// validation, bad options.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>

#include "swingpipe/error.hpp"
#include "swingpipe/host/demo_swing.hpp"
#include "test_support.hpp"

namespace swingpipe::demo {
namespace {

int channel_index(const Recording& rec, std::string_view name) {
  const auto it = std::find(rec.channels.begin(), rec.channels.end(), name);
  return it == rec.channels.end() ? -1 : static_cast<int>(it - rec.channels.begin());
}

TEST(DemoSwing, SameSeedIsBitIdenticalOtherSeedDiffers) {
  const SwingOptions opt{12, 240, 7};
  const auto a = generate_swings(opt);
  const auto b = generate_swings(opt);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].data.size(), b[i].data.size());
    EXPECT_EQ(std::memcmp(a[i].data.data(), b[i].data.data(), a[i].data.size() * sizeof(double)),
              0);
    EXPECT_EQ(a[i].meta.filename, b[i].meta.filename);
    EXPECT_EQ(a[i].meta.golfer_name, b[i].meta.golfer_name);
    EXPECT_EQ(a[i].meta.date_recorded, b[i].meta.date_recorded);
    EXPECT_EQ(a[i].meta.tags, b[i].meta.tags);
    EXPECT_EQ(std::memcmp(&a[i].meta.peak_club_speed, &b[i].meta.peak_club_speed, sizeof(double)),
              0);
  }
  const auto c = generate_swings({12, 240, 8});
  EXPECT_NE(a[0].data, c[0].data);
}

// Pins the bit pattern of a few values: the output must not depend on the standard library.
TEST(DemoSwing, KnownValuesForTheDefaultSeed) {
  const auto swings = generate_swings({});
  ASSERT_EQ(swings.size(), 24u);
  const Recording& r = swings[0];
  EXPECT_EQ(r.meta.golfer_name, "Ana Ortiz");
  EXPECT_EQ(r.meta.club_type, "7-iron");
  EXPECT_EQ(r.meta.swing_type, "full");
  EXPECT_EQ(r.frames(), 354);
  // Recorded from this generator (x86-64, GCC 12); any libm or distribution use would move them.
  EXPECT_EQ(r.meta.peak_club_speed, 36.409596843994038);
  EXPECT_EQ(r.data[static_cast<std::size_t>(5 * r.frames() + r.frames() / 2)], -4.3397514158294248);
}

TEST(DemoSwing, LayoutAndMetadata) {
  const SwingOptions opt{60, 240, 2026};
  const auto swings = generate_swings(opt);
  ASSERT_EQ(swings.size(), 60u);
  std::set<std::string> filenames, golfers, clubs, types;
  for (const auto& rec : swings) {
    EXPECT_NO_THROW(validate(rec, rec.meta.filename));
    ASSERT_EQ(rec.channels.size(), 2 * kJoints.size());
    for (std::size_t k = 0; k < kJoints.size(); ++k) {
      EXPECT_EQ(rec.channels[k], kJoints[k]);
      EXPECT_EQ(rec.channels[k + kJoints.size()], std::string(kJoints[k]) + "_vel");
    }
    EXPECT_EQ(rec.sample_rate, 240);
    EXPECT_EQ(rec.data.size(), rec.channels.size() * static_cast<std::size_t>(rec.frames()));
    EXPECT_GE(rec.meta.duration, 1.2 - 1.0 / 240);
    EXPECT_LE(rec.meta.duration, 1.8 + 1.0 / 240);
    EXPECT_DOUBLE_EQ(rec.meta.duration, static_cast<double>(rec.frames() - 1) / 240);
    EXPECT_EQ(rec.meta.model_name, "demo-kinematic-chain");
    EXPECT_GE(rec.meta.rating, 1);
    EXPECT_LE(rec.meta.rating, 5);
    EXPECT_FALSE(rec.meta.tags.empty());
    EXPECT_EQ(rec.meta.date_recorded.size(), 10u) << rec.meta.date_recorded;
    EXPECT_TRUE(rec.meta.date_recorded.starts_with("2026-")) << rec.meta.date_recorded;
    EXPECT_EQ(rec.meta.filename.rfind("demo/swing_", 0), 0u);
    for (double v : rec.data) ASSERT_TRUE(std::isfinite(v));
    // Club-head speed from the club's peak angular speed over a ~1.1 m lever.
    const double* club = rec.channel(channel_index(rec, "club_vel"));
    double peak = 0;
    for (int64_t i = 0; i < rec.frames(); ++i) peak = std::max(peak, std::abs(club[i]));
    EXPECT_NEAR(rec.meta.peak_club_speed / peak, 1.1, 0.1);
    if (rec.meta.swing_type == "full" && rec.meta.club_type == "driver") {
      EXPECT_GT(rec.meta.peak_club_speed, 35);
      EXPECT_LT(rec.meta.peak_club_speed, 60);
    }
    filenames.insert(rec.meta.filename);
    golfers.insert(rec.meta.golfer_name);
    clubs.insert(rec.meta.club_type);
    types.insert(rec.meta.swing_type);
  }
  EXPECT_EQ(filenames.size(), swings.size());
  EXPECT_GE(golfers.size(), 3u);
  EXPECT_GE(clubs.size(), 3u);
  EXPECT_GE(types.size(), 2u);
}

/// Frame of max |velocity| of a joint.
int64_t peak_frame(const Recording& rec, std::string_view joint) {
  const double* v = rec.channel(channel_index(rec, std::string(joint) + "_vel"));
  int64_t best = 0;
  for (int64_t i = 1; i < rec.frames(); ++i)
    if (std::abs(v[i]) > std::abs(v[best])) best = i;
  return best;
}

TEST(DemoSwing, ProximalToDistalSequence) {
  for (const double fs : {240.0, 1000.0}) {
    const auto swings = generate_swings({300, fs, 99});
    for (const auto& rec : swings) {
      for (std::size_t k = 1; k < kSequence.size(); ++k) {
        const auto prev = peak_frame(rec, kSequence[k - 1]);
        const auto next = peak_frame(rec, kSequence[k]);
        const double prev_speed =
            std::abs(rec.channel(channel_index(rec, std::string(kSequence[k - 1]) + "_vel"))[prev]);
        const double next_speed =
            std::abs(rec.channel(channel_index(rec, std::string(kSequence[k]) + "_vel"))[next]);
        ASSERT_LT(prev, next) << rec.meta.filename << " " << kSequence[k - 1] << " -> "
                              << kSequence[k] << " at " << fs << " Hz";
        ASSERT_LT(prev_speed, next_speed) << rec.meta.filename << " " << kSequence[k];
      }
    }
  }
}

TEST(DemoSwing, VelocitiesAreTheDerivativeOfTheAngles) {
  for (const double fs : {240.0, 1000.0}) {
    for (const auto& rec : generate_swings({20, fs, 5})) {
      const double dt = 1 / fs;
      for (std::size_t k = 0; k < kJoints.size(); ++k) {
        const double* a = rec.channel(static_cast<int>(k));
        const double* v = rec.channel(static_cast<int>(k + kJoints.size()));
        double peak = 0;
        for (int64_t i = 0; i < rec.frames(); ++i) peak = std::max(peak, std::abs(v[i]));
        for (int64_t i = 2; i + 2 < rec.frames(); ++i) {  // 5-point central difference
          const double d = (a[i - 2] - 8 * a[i - 1] + 8 * a[i + 1] - a[i + 2]) / (12 * dt);
          ASSERT_NEAR(d, v[i], 0.01 * peak) << rec.meta.filename << " " << kJoints[k] << " " << i;
        }
      }
    }
  }
}

TEST(DemoSwing, ZeroCountAndBadOptions) {
  EXPECT_TRUE(generate_swings({0, 240, 1}).empty());
  EXPECT_THROW(generate_swings({-1, 240, 1}), InputError);
  EXPECT_THROW(generate_swings({3, 0, 1}), InputError);
  EXPECT_THROW(generate_swings({3, -240, 1}), InputError);
  EXPECT_THROW(generate_swings({3, std::nan(""), 1}), InputError);
  EXPECT_THROW(generate_swings({3, 1e9, 1}), InputError);
}

}  // namespace
}  // namespace swingpipe::demo
