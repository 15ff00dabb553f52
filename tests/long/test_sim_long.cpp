// Long validation of simulated swings and their induced accelerations (label long): 20 swings
// of each golfer model through the library (several batches), each checked for the club-head
// speed at impact (35-55 m/s), the pelvis -> thorax -> arm -> club kinematic sequence, closure of
// the induced accelerations on every frame, and the task-space closure at the club head.
#include <gtest/gtest.h>

#include <cmath>

#include "swingpipe/host/induced_accel_engine.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/recorded_state.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

const double* channel(const Recording& rec, const std::string& name) {
  for (int c = 0; c < rec.channel_count(); ++c)
    if (rec.channels[static_cast<std::size_t>(c)] == name) return rec.channel(c);
  throw std::runtime_error("no channel " + name);
}

int64_t peak(const Recording& rec, const std::string& name, int64_t from, int64_t to) {
  const double* v = channel(rec, name);
  int64_t best = from;
  for (int64_t f = from; f <= to; ++f)
    if (v[f] > v[best]) best = f;
  return best;
}

TEST(SimLong, TwentySwingsOfEveryModel) {
  test::TempDir dir;
  for (const char* which : {"upper", "full", "advanced"}) {
    SCOPED_TRACE(which);
    RecordingLibrary lib(dir / (std::string(which) + ".db"));
    sim::SimulateOptions o;
    o.model = std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs/models" /
              (std::string("golfer_") + which + ".xml");
    o.count = 20;
    o.seed = 123;
    o.batch_size = 6;
    const auto sum = sim::simulate_to_library(lib, o);
    ASSERT_EQ(sum.count, 20);
    EXPECT_GE(sum.min_impact_speed, 35.0);
    EXPECT_LE(sum.max_impact_speed, 55.0);
    const auto model = engine::Model::load(o.model);
    iaa::Options io;
    io.sites = {"club_head"};
    io.per_actuator = true;
    for (const auto& meta : lib.search({})) {
      SCOPED_TRACE(meta.filename);
      const Recording rec = lib.get(meta.id);
      const int64_t impact = sim::impact_frame(rec);
      const double* club = channel(rec, "club");
      int64_t top = 0;
      for (int64_t f = 0; f < impact; ++f)
        if (club[f] < club[top]) top = f;
      const int64_t end = std::min(rec.frames() - 1, impact + 50);
      const int64_t p = peak(rec, "pelvis_rot_vel", top, end),
                    t = peak(rec, "thorax_rot_vel", top, end),
                    a = peak(rec, "lead_shoulder_vel", top, end),
                    c = peak(rec, "club_vel", top, end);
      EXPECT_LT(p, t);
      EXPECT_LT(t, a);
      EXPECT_LT(a, c);
      const auto state = engine::read_full_state(*model, rec);
      const auto r = engine::induced_accelerations(model, state, io);
      EXPECT_LE(r.max_closure(), 1e-8);
      const int k = r.contributors;
      double worst = 0;
      for (int64_t f = 0; f < r.frames; ++f) {
        double scale = 1;
        double sum3[3] = {0, 0, 0};
        for (int cc = 0; cc < 6; ++cc)
          for (int e = 0; e < 3; ++e) {
            const double v = r.site[static_cast<std::size_t>((f * k + cc) * 3 + e)];
            sum3[e] += v;
            scale = std::max(scale, std::abs(v));
          }
        for (int e = 0; e < 3; ++e)
          worst = std::max(
              worst,
              std::abs(sum3[e] - state.site_acc[static_cast<std::size_t>(f * 3 + e)]) / scale);
      }
      EXPECT_LE(worst, 1e-8);
    }
  }
}

}  // namespace
}  // namespace swingpipe
