// Simulated swings (swing_sim.hpp): club-head speed at impact, the proximal-to-distal kinematic
// sequence, determinism, streaming into the library, resume, bad input.
#include <gtest/gtest.h>

#include <fstream>

#include <map>

#include "engine_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/recorded_state.hpp"
#include "swingpipe/host/swing_sim.hpp"

namespace swingpipe {
namespace {

const double* channel(const Recording& rec, const std::string& name) {
  for (int c = 0; c < rec.channel_count(); ++c)
    if (rec.channels[static_cast<std::size_t>(c)] == name) return rec.channel(c);
  ADD_FAILURE() << "no channel " << name;
  static const double zero[1] = {0};
  return zero;
}

double impact_speed(const Recording& rec) {
  const int64_t f = sim::impact_frame(rec);
  EXPECT_GT(f, 0);
  double s = 0;
  for (int k = 0; k < 3; ++k) {
    const double v = channel(rec, "site_vel:club_head[" + std::to_string(k) + "]")[f];
    s += v * v;
  }
  return std::sqrt(s);
}

/// Frame of the largest value of `name` between `from` and `to`.
int64_t peak_frame(const Recording& rec, const std::string& name, int64_t from, int64_t to) {
  const double* v = channel(rec, name);
  int64_t best = from;
  for (int64_t f = from; f <= to; ++f)
    if (v[f] > v[best]) best = f;
  return best;
}

/// Checks one swing: speed at impact in 35..55 m/s for the driver, the downswing's peak angular
/// speeds ordered pelvis -> thorax -> lead arm -> club, impact near the planned time.
void check_swing(const Recording& rec, const sim::SwingParams& p) {
  const double speed = impact_speed(rec);
  EXPECT_GE(speed, 35.0);
  EXPECT_LE(speed, 55.0);
  const int64_t impact = sim::impact_frame(rec);
  EXPECT_NEAR(static_cast<double>(impact) / rec.sample_rate, p.impact_time(), 0.05);
  // The downswing: from the top of the backswing (lowest club angle) to 0.1 s after impact.
  const double* club = channel(rec, "club");
  int64_t top = 0;
  for (int64_t f = 0; f < impact; ++f)
    if (club[f] < club[top]) top = f;
  const int64_t end =
      std::min(rec.frames() - 1, impact + static_cast<int64_t>(0.1 * rec.sample_rate));
  const int64_t pelvis = peak_frame(rec, "pelvis_rot_vel", top, end);
  const int64_t thorax = peak_frame(rec, "thorax_rot_vel", top, end);
  const int64_t arm = peak_frame(rec, "lead_shoulder_vel", top, end);
  const int64_t clubp = peak_frame(rec, "club_vel", top, end);
  EXPECT_LT(pelvis, thorax);
  EXPECT_LT(thorax, arm);
  EXPECT_LT(arm, clubp);
  EXPECT_LT(channel(rec, "pelvis_rot_vel")[pelvis], channel(rec, "club_vel")[clubp]);
}

TEST(SwingSim, SpeedAtImpactAndKinematicSequenceOnEveryModel) {
  const std::map<std::string, std::vector<int64_t>> swings{
      {"upper", {0, 1, 2}}, {"full", {0, 1}}, {"advanced", {0}}};
  for (const auto& [which, indices] : swings) {
    const auto model = engine::Model::load(test::golfer_model(which));
    for (int64_t i : indices) {
      SCOPED_TRACE(which + " swing " + std::to_string(i));
      const auto p = sim::draw_params(77, i);
      const Recording rec = sim::simulate_swing(model, p, 500);
      validate(rec, "swing");
      check_swing(rec, p);
      EXPECT_EQ(rec.meta.model_name, model->name());
      EXPECT_EQ(engine::model_sha256_of(rec.meta), model->sha256());
      EXPECT_GT(rec.meta.peak_club_speed, 35.0);
      EXPECT_NEAR(rec.meta.duration, p.duration(), 0.01);
      if (which != "upper") {
        // Feet on the ground all the way (a foot box flat on the floor has 4 contacts, one
        // with a corner lifted fewer), the pelvis stays up.
        const double* ncon = channel(rec, "ncon");
        const double* z = channel(rec, "qpos:root[2]");
        for (int64_t f = 10; f < rec.frames(); f += 10) {  // frame 0 is the exact touch
          EXPECT_GE(ncon[f], 2) << "frame " << f;
          EXPECT_GT(z[f], 0.7) << "frame " << f;
        }
      }
    }
  }
}

TEST(SwingSim, DeterministicAndDifferentPerSwing) {
  const auto model = engine::Model::load(test::golfer_model("upper"));
  const auto a = sim::simulate_swing(model, sim::draw_params(5, 3), 500);
  const auto b = sim::simulate_swing(model, sim::draw_params(5, 3), 500);
  EXPECT_EQ(a.data, b.data) << "same parameters, same swing, bit for bit";
  const auto c = sim::simulate_swing(model, sim::draw_params(5, 4), 500);
  EXPECT_NE(a.data, c.data);
  const auto p1 = sim::draw_params(5, 3), p2 = sim::draw_params(6, 3);
  EXPECT_NE(p1.tempo, p2.tempo);
}

TEST(SwingSim, SampleRateMustDivideTheStepRate) {
  const auto model = engine::Model::load(test::golfer_model("upper"));
  EXPECT_THROW(sim::simulate_swing(model, sim::draw_params(1, 0), 333), InputError);
  EXPECT_THROW(sim::simulate_swing(model, sim::draw_params(1, 0), 2000), InputError);
  EXPECT_THROW(sim::simulate_swing(model, sim::draw_params(1, 0), -5), InputError);
  EXPECT_THROW(sim::simulate_swing(model, sim::draw_params(1, 0), std::nan("")), InputError);
  const auto rec = sim::simulate_swing(model, sim::draw_params(1, 0), 1000);
  EXPECT_EQ(rec.sample_rate, 1000);
}

TEST(SwingSim, ModelsWithoutAGolferAreRefusedByName) {
  test::TempDir dir;
  const auto path = dir / "arm.xml";
  std::ofstream(path) << R"(<mujoco><worldbody><body name="arm"><joint name="j" type="hinge"/>
    <geom type="capsule" fromto="0 0 0 0 0 -0.5" size="0.05"/></body></worldbody>
    <actuator><motor joint="j"/></actuator></mujoco>)";
  const auto model = engine::Model::load(path);
  try {
    sim::simulate_swing(model, sim::draw_params(1, 0), 500);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("pelvis"), std::string::npos) << e.what();
  }
}

TEST(SwingSim, LibraryBatchesAreTheSameForAnyThreadCountAndResume) {
  test::TempDir dir;
  sim::SimulateOptions o;
  o.model = test::golfer_model("upper");
  o.count = 3;
  o.seed = 11;
  o.batch_size = 2;
  std::vector<std::string> checksums[2];
  for (int t : {1, 2}) {
    RecordingLibrary lib(dir / ("t" + std::to_string(t) + ".db"));
    o.threads = t;
    std::vector<int64_t> progress;
    const auto sum =
        sim::simulate_to_library(lib, o, [&](int64_t done) { progress.push_back(done); });
    EXPECT_EQ(sum.count, 3);
    EXPECT_EQ(progress, (std::vector<int64_t>{2, 3}));
    EXPECT_GE(sum.min_impact_speed, 35.0);
    EXPECT_LE(sum.max_impact_speed, 55.0);
    for (const auto& m : lib.search({})) checksums[t - 1].push_back(m.checksum);
    EXPECT_EQ(lib.count(), 3);
  }
  EXPECT_EQ(checksums[0], checksums[1]);
  // A second run with the same seed skips the swings already there and adds the new ones.
  RecordingLibrary lib(dir / "t1.db");
  o.count = 4;
  const auto again = sim::simulate_to_library(lib, o);
  EXPECT_EQ(again.skipped, 3);
  EXPECT_EQ(again.count, 1);
  EXPECT_EQ(lib.count(), 4);
  const auto meta = lib.get_meta(*lib.find_by_filename("sim/golfer_upper/seed11/swing_000003"));
  EXPECT_EQ(meta.model_name, "golfer_upper");
  // A recording of the same name from another model file is not silently taken as done.
  sim::SimulateOptions other = o;
  test::TempDir dir2;
  const auto copy = dir2 / "golfer_upper.xml";
  std::filesystem::copy_file(o.model, copy);
  std::ofstream(copy, std::ios::app) << "<!-- changed -->\n";
  other.model = copy;
  EXPECT_THROW(sim::simulate_to_library(lib, other), InputError);
}

TEST(SwingSim, AStopRequestEndsAfterABatchAndTheSameCallResumes) {
  test::TempDir dir;
  RecordingLibrary lib(dir / "lib.db");
  sim::SimulateOptions o;
  o.model = test::golfer_model("upper");
  o.count = 3;
  o.seed = 5;
  o.batch_size = 1;
  o.threads = 1;
  int asked = 0;
  const auto first = sim::simulate_to_library(lib, o, {}, [&] { return ++asked == 1; });
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(first.count, 1);
  EXPECT_EQ(first.handled, 1);
  EXPECT_EQ(lib.count(), 1);
  // Never asked after the last batch: a finished run is not "stopped".
  const auto rest = sim::simulate_to_library(lib, o, {}, [&] { return false; });
  EXPECT_FALSE(rest.stopped);
  EXPECT_EQ(rest.skipped, 1);
  EXPECT_EQ(rest.count, 2);
  EXPECT_EQ(rest.handled, 3);
  EXPECT_EQ(lib.count(), 3);
}

TEST(SwingSim, CheckOptionsRefusesWhatSimulatingWouldRefuseWithoutSimulating) {
  sim::SimulateOptions o;
  o.model = test::golfer_model("upper");
  EXPECT_EQ(sim::check_options(o)->nv(), 16);
  o.sample_rate = 333;
  try {
    sim::check_options(o);
    ADD_FAILURE() << "333 Hz accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("does not divide the model's step rate"),
              std::string::npos)
        << e.what();
  }
  o.sample_rate = 500;
  o.batch_size = -1;
  EXPECT_THROW(sim::check_options(o), InputError);
}

TEST(SwingSim, BadOptions) {
  test::TempDir dir;
  RecordingLibrary lib(dir / "lib.db");
  sim::SimulateOptions o;
  o.model = test::golfer_model("upper");
  o.count = -1;
  EXPECT_THROW(sim::simulate_to_library(lib, o), InputError);
  o.count = 0;
  const auto none = sim::simulate_to_library(lib, o);
  EXPECT_EQ(none.count, 0);
  EXPECT_EQ(lib.count(), 0);
  o.model = dir / "missing.xml";
  o.count = 1;
  EXPECT_THROW(sim::simulate_to_library(lib, o), NotFoundError);
}

}  // namespace
}  // namespace swingpipe
