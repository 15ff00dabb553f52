// The CUDA induced-acceleration path (iaa::compute_cuda) against its CPU reference on the same
// recorded frames (iaa::compute_tree_cpu: the same tree math on the CPU) and against the MuJoCo
// CPU path (engine::induced_accelerations), for every golfer model. Skips without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <span>

#include "swingpipe/error.hpp"
#include "swingpipe/host/engine.hpp"
#include "swingpipe/host/induced_accel_engine.hpp"
#include "swingpipe/host/recorded_state.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/induced_accel.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

#define SP_REQUIRE_CUDA()                                                             \
  do {                                                                                \
    const DeviceInfo sp_info_ = cuda_device_info();                                   \
    if (!sp_info_.available()) GTEST_SKIP() << "no CUDA device: " << sp_info_.reason; \
  } while (0)

/// The golfer models: $SWINGPIPE_MODELS_DIR, the source tree this was built from, or
/// configs/models under the working directory (tools/device-check.sh runs the carried binary in a
/// copy of the tree at another path).
std::filesystem::path golfer(const std::string& which) {
  const std::string file = "golfer_" + which + ".xml";
  if (const char* env = std::getenv("SWINGPIPE_MODELS_DIR"))
    return std::filesystem::path(env) / file;
  const auto built = std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs/models" / file;
  if (std::filesystem::exists(built)) return built;
  return std::filesystem::path("configs/models") / file;
}

struct Swing {
  std::shared_ptr<const engine::Model> model;
  engine::FullState state;
};

const Swing& swing(const std::string& which) {
  static std::map<std::string, Swing> cache;
  if (auto it = cache.find(which); it != cache.end()) return it->second;
  Swing s;
  s.model = engine::Model::load(golfer(which));
  const Recording rec = sim::simulate_swing(s.model, sim::draw_params(99, 2), 500);
  s.state = engine::read_full_state(*s.model, rec);
  return cache.emplace(which, std::move(s)).first->second;
}

double rel(std::span<const double> a, std::span<const double> b) {
  double err = 0, scale = 1e-300;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) return INFINITY;
    if (std::isnan(a[i])) continue;
    err = std::max(err, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return err / scale;
}

TEST(IaaGpu, MatchesTheCpuReferenceOnEveryModel) {
  SP_REQUIRE_CUDA();
  for (const auto& which : {"upper", "full", "advanced"}) {
    SCOPED_TRACE(which);
    const Swing& s = swing(which);
    for (bool per_actuator : {false, true}) {
      iaa::Options o;
      o.per_actuator = per_actuator;
      o.sites = {"club_head"};
      std::vector<double> moments;
      const auto batch = engine::frame_batch(s.state, moments);
      const auto tree = engine::export_tree(*s.model, o.sites);
      const auto gpu = iaa::compute_cuda(tree, batch, o);
      const auto cpu = iaa::compute_tree_cpu(tree, batch, o);
      ASSERT_EQ(gpu.joint.size(), cpu.joint.size());
      EXPECT_LT(rel(gpu.joint, cpu.joint), 1e-11);
      EXPECT_LT(rel(gpu.site, cpu.site), 1e-11);
      EXPECT_LT(rel(gpu.site_bias, cpu.site_bias), 1e-11);
      EXPECT_LE(gpu.max_closure(), 1e-8);
      iaa::Options om = o;
      om.mass_source = iaa::MassSource::mujoco;
      const auto mj = engine::induced_accelerations(s.model, s.state, om);
      EXPECT_LT(rel(gpu.joint, mj.joint), 1e-9) << "against the MuJoCo CPU path";
    }
  }
}

TEST(IaaGpu, ManyChunksAndNoSites) {
  SP_REQUIRE_CUDA();
  // 40 copies of a swing: tens of thousands of frames, several chunks on both streams.
  const Swing& s = swing("full");
  engine::FullState big = s.state;
  const int copies = 40;
  auto grow = [&](std::vector<double>& v) {
    const std::vector<double> one = v;
    for (int c = 1; c < copies; ++c) v.insert(v.end(), one.begin(), one.end());
  };
  for (auto* v : {&big.time, &big.qpos, &big.qvel, &big.qacc, &big.ctrl, &big.actuator_force,
                  &big.actuator_moment, &big.qfrc_bias, &big.qfrc_gravity, &big.qfrc_passive,
                  &big.qfrc_constraint, &big.qfrc_applied, &big.qfrc_actuator, &big.ncon,
                  &big.site_pos, &big.site_vel, &big.site_acc})
    grow(*v);
  big.frames *= copies;
  iaa::Options o;
  std::vector<double> moments;
  const auto batch = engine::frame_batch(big, moments);
  const auto tree = engine::export_tree(*s.model, {});
  const auto gpu = iaa::compute_cuda(tree, batch, o);
  const auto cpu = iaa::compute_tree_cpu(tree, batch, o);
  EXPECT_LT(rel(gpu.joint, cpu.joint), 1e-11);
  EXPECT_EQ(gpu.closure.size(), static_cast<std::size_t>(big.frames));
  EXPECT_LE(gpu.max_closure(), 1e-8);
}

TEST(IaaGpu, EmptyNanAndBadInput) {
  SP_REQUIRE_CUDA();
  const Swing& s = swing("upper");
  iaa::Options o;
  o.sites = {"club_head"};
  const auto tree = engine::export_tree(*s.model, o.sites);
  engine::FullState empty;
  empty.resize(*s.model, {"club_head"}, 0);
  std::vector<double> m0;
  const auto none = iaa::compute_cuda(tree, engine::frame_batch(empty, m0), o);
  EXPECT_EQ(none.frames, 0);
  engine::FullState nan = s.state;
  nan.qacc[5] = std::nan("");
  std::vector<double> m1;
  const auto r = iaa::compute_cuda(tree, engine::frame_batch(nan, m1), o);
  EXPECT_TRUE(std::isnan(r.closure[0]));
  o.sites = {"nope"};
  std::vector<double> m2;
  EXPECT_THROW(iaa::compute_cuda(tree, engine::frame_batch(s.state, m2), o), InputError);
}

}  // namespace
}  // namespace swingpipe
