// The pipeline analysis "induced_accel" (pipeline/induced_accel.hpp) through the runner: results
// from recordings alone (the model found by its hash), skipped and failed recordings, CSV rows,
// arrays, config errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "../engine/engine_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/demo_swing.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "swingpipe/pipeline/induced_accel.hpp"
#include "swingpipe/pipeline/runner.hpp"

namespace swingpipe::pipeline {
namespace {

class IaaAnalysis : public ::testing::Test {
 protected:
  void SetUp() override {
    RecordingLibrary lib(dir_ / "lib.db");
    sim::SimulateOptions o;
    o.model = test::golfer_model("upper");
    o.count = 2;
    o.seed = 4;
    sim::simulate_to_library(lib, o);
    demo::SwingOptions d;
    d.count = 1;
    lib.add_all(demo::generate_swings(d));  // id 3: not simulated
  }
  nlohmann::json config(nlohmann::json analysis) {
    analysis["type"] = "induced_accel";
    return {{"library", (dir_ / "lib.db").string()},
            {"run_id", "r"},
            {"backend", "cpu"},
            {"progress", "never"},
            {"output", {{"dir", (dir_ / "out").string()}, {"formats", {"json", "csv"}}}},
            {"analyses", {analysis}}};
  }
  std::map<int64_t, nlohmann::json> results() {
    RecordingLibrary lib(dir_ / "lib.db");
    std::map<int64_t, nlohmann::json> out;
    for (const auto& r : lib.results("r"))
      out[r.recording_id] = nlohmann::json::parse(r.payload_json);
    return out;
  }
  std::string models() const {
    return (std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs/models").string();
  }
  test::TempDir dir_;
};

TEST_F(IaaAnalysis, SummariesFromRecordingsAlone) {
  const auto summary = run(parse_run_config(
      config({{"models", {models()}}, {"skip_other", true}, {"per_actuator", true}}), "t.json"));
  EXPECT_TRUE(summary.failures.empty());
  EXPECT_EQ(summary.processed, 3);
  const auto res = results();
  ASSERT_EQ(res.size(), 3u);
  for (int64_t id : {1, 2}) {
    const auto& p = res.at(id);
    EXPECT_EQ(p["model"], "golfer_upper");
    EXPECT_LE(p["closure_max"].get<double>(), 1e-8);
    EXPECT_EQ(p["contributors"].size(), 6u + 16u);
    const auto& club = p["sites"]["club_head"];
    EXPECT_GE(club["speed_at_impact"].get<double>(), 35.0);
    double share = 0;
    for (const char* c : {"gravity", "velocity", "passive", "constraint", "applied", "control"})
      share += club["contributors"][c]["impact_share"].get<double>();
    EXPECT_NEAR(share, 1.0, 1e-6);
    EXPECT_GT(club["contributors"]["control"]["peak"].get<double>(), 0.0);
  }
  EXPECT_TRUE(res.at(3).contains("skipped"));
  // The CSV has a row per (recording, site, contributor), none for the skipped one.
  std::ifstream csv(dir_ / "out" / "r" / "induced_accel.csv");
  std::string line;
  int rows = 0;
  std::getline(csv, line);
  EXPECT_EQ(line.rfind("recording_id,filename,site,contributor", 0), 0u) << line;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 2 * 22);
}

TEST_F(IaaAnalysis, NotSimulatedFailsThatRecordingOnly) {
  const auto summary = run(parse_run_config(config({{"models", {models()}}}), "t.json"));
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_EQ(summary.failures[0].first, 3);
  EXPECT_NE(summary.failures[0].second.find("model-sha256"), std::string::npos);
  EXPECT_EQ(results().size(), 2u);
}

TEST_F(IaaAnalysis, AModelFileThatChangedIsNotUsed) {
  // A copy of the model with one byte more: another hash, so the recordings find no model.
  const auto copy = dir_ / "models" / "golfer_upper.xml";
  std::filesystem::create_directories(copy.parent_path());
  std::filesystem::copy_file(test::golfer_model("upper"), copy);
  std::ofstream(copy, std::ios::app) << " ";
  const auto summary = run(parse_run_config(
      config({{"models", {copy.parent_path().string()}}, {"skip_other", true}}), "t.json"));
  ASSERT_EQ(summary.failures.size(), 2u);
  EXPECT_NE(summary.failures[0].second.find("sha256"), std::string::npos);
}

TEST_F(IaaAnalysis, ArraysHaveTheDocumentedShapes) {
  InducedAccelOptions o;
  o.models = {models()};
  o.counterfactuals = true;
  InducedAccelRunner runner(o);
  const Recording rec = RecordingLibrary(dir_ / "lib.db").get(1);
  const auto out = runner.run(rec);
  const auto& a = out.arrays;
  const auto n = rec.frames();
  const auto ds = [&](const std::string& name) -> const io::ArrayDataset& {
    for (const auto& d : a.datasets)
      if (d.name == name) return d;
    ADD_FAILURE() << "no dataset " << name;
    return a.datasets.front();
  };
  EXPECT_EQ(ds("joint_contributions").shape, (std::vector<int64_t>{n, 6, 16}));
  EXPECT_EQ(ds("sites/club_head").shape, (std::vector<int64_t>{n, 6, 3}));
  EXPECT_EQ(ds("time").shape, (std::vector<int64_t>{n}));
  EXPECT_EQ(ds("counterfactuals/ztcf").shape, (std::vector<int64_t>{n, 16}));
  EXPECT_EQ(ds("counterfactuals/club_head_zvcf").shape, (std::vector<int64_t>{n, 3}));
  EXPECT_EQ(ds("closure").bytes.size(), static_cast<std::size_t>(n) * 8);
  EXPECT_FALSE(out.payload["sites"]["club_head"]["ztcf_acceleration_at_impact"].is_null());
}

TEST_F(IaaAnalysis, Hdf5OutputHoldsTheContributionsOfTheRow) {
  auto cfg = config({{"models", {models()}}, {"skip_other", true}});
  cfg["output"]["formats"].push_back("hdf5");
  const auto summary = run(parse_run_config(cfg, "t.json"));
  EXPECT_TRUE(summary.failures.empty());
  const auto res = results();
  const auto& p = res.at(1);
  ASSERT_TRUE(p.contains("arrays")) << p.dump();
  const io::ArrayFile file = io::read_h5(dir_ / "out/r" / p["arrays"]["file"].get<std::string>());
  const Recording rec = RecordingLibrary(dir_ / "lib.db").get(1);
  const auto n = rec.frames();
  const auto joint = file.at("joint_contributions").values<double>();
  ASSERT_EQ(joint.size(), static_cast<std::size_t>(n * 6 * 16));
  // The stored contributions sum to the recorded qacc (closure) on every frame, read back from
  // the file: the file holds the analysis' numbers, not a summary.
  const auto closure = file.at("closure").values<double>();
  ASSERT_EQ(closure.size(), static_cast<std::size_t>(n));
  double worst = 0;
  for (double v : closure) worst = std::max(worst, v);
  EXPECT_LE(worst, 1e-8);
  EXPECT_NEAR(worst, p["closure_max"].get<double>(), 1e-300 + 1e-12 * worst);
  // And the six contributors of a frame sum to the recording's qacc channels (dofs by name).
  std::vector<std::string> dofs;
  for (const auto& [name, v] : file.attrs)
    if (name == "dofs") dofs = std::get<std::vector<std::string>>(v);
  ASSERT_EQ(dofs.size(), 16u);
  const int64_t f = n / 2;
  for (std::size_t d = 0; d < dofs.size(); ++d) {
    const auto it = std::find(rec.channels.begin(), rec.channels.end(), "qacc:" + dofs[d]);
    ASSERT_NE(it, rec.channels.end()) << dofs[d];
    const double want = rec.channel(static_cast<int>(it - rec.channels.begin()))[f];
    double sum = 0;
    for (int c = 0; c < 6; ++c) sum += joint[static_cast<std::size_t>((f * 6 + c) * 16) + d];
    EXPECT_NEAR(sum, want, 1e-8 * (1 + std::abs(want))) << dofs[d];
  }
}

TEST_F(IaaAnalysis, BothMassSourcesGiveTheSameContributions) {
  const Recording rec = RecordingLibrary(dir_ / "lib.db").get(2);
  InducedAccelOptions o;
  o.models = {models()};
  o.per_actuator = true;
  InducedAccelRunner tree(o);
  o.mass_source = iaa::MassSource::mujoco;
  InducedAccelRunner mujoco(o);
  const auto a = tree.run(rec), b = mujoco.run(rec);
  EXPECT_EQ(a.payload["mass_source"], "tree");
  EXPECT_EQ(b.payload["mass_source"], "mujoco");
  const auto joint = [](const InducedAccelOutput& out) {
    std::vector<double> v;
    for (const auto& d : out.arrays.datasets)
      if (d.name == "joint_contributions") {
        const auto values = d.values<double>();
        v.assign(values.begin(), values.end());
      }
    return v;
  };
  const auto x = joint(a), y = joint(b);
  ASSERT_EQ(x.size(), y.size());
  ASSERT_FALSE(x.empty());
  double scale = 0, worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    scale = std::max(scale, std::abs(x[i]));
    worst = std::max(worst, std::abs(x[i] - y[i]));
  }
  EXPECT_LE(worst, 1e-9 * scale) << "largest difference " << worst << " of " << scale;
  // The run config takes the same choice, and refuses anything else naming the key.
  const auto cfg =
      parse_run_config(config({{"models", {models()}}, {"mass_source", "mujoco"}}), "t.json");
  EXPECT_EQ(cfg.analyses.at(0).options.value("mass_source", ""), "mujoco");
  try {
    parse_run_config(config({{"mass_source", "mkl"}}), "t.json");
    ADD_FAILURE() << "mass_source mkl accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/mass_source"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tree or mujoco"), std::string::npos) << e.what();
  }
}

TEST_F(IaaAnalysis, ConfigErrorsNameTheKey) {
  EXPECT_THROW(parse_run_config(config({{"sits", {"club_head"}}}), "t.json"), ConfigError);
  EXPECT_THROW(parse_run_config(config({{"per_actuator", "yes"}}), "t.json"), ConfigError);
  EXPECT_THROW(parse_run_config(config({{"models", nlohmann::json::array()}}), "t.json"),
               ConfigError);
  // A models path that does not exist is an input error when the run starts.
  EXPECT_THROW(run(parse_run_config(config({{"models", {(dir_ / "nope").string()}}}), "t.json")),
               InputError);
}

}  // namespace
}  // namespace swingpipe::pipeline
