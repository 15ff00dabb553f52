// Analyses "lag_matrix" and "kinematic_sequence" in a run on demo swings: results rows equal the
// kernels, CSV exports, arrays for the sink, config errors and per-recording failures.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/lag.hpp"
#include "swingpipe/pipeline/analysis.hpp"
#include "swingpipe/pipeline/config.hpp"
#include "swingpipe/pipeline/packing.hpp"
#include "swingpipe/pipeline/runner.hpp"
#include "test_support.hpp"

namespace swingpipe::pipeline {
namespace {

const std::vector<std::string> kVel{"pelvis_rot_vel", "thorax_rot_vel", "lead_shoulder_vel",
                                    "lead_wrist_vel", "club_vel"};

class LagRun : public ::testing::Test {
 protected:
  RunConfig config(const nlohmann::json& analyses, int count = 6, int batch = 4) {
    nlohmann::json j{{"library", (dir_ / "lib.db").string()},
                     {"run_id", "r"},
                     {"backend", "cpu"},
                     {"batch_size", batch},
                     {"progress", "never"},
                     {"demo_data", {{"seed_if_empty", true}, {"count", count}}},
                     {"output", {{"dir", (dir_ / "out").string()}, {"formats", {"json", "csv"}}}},
                     {"analyses", analyses}};
    return parse_run_config(j, "test.json");
  }
  std::map<int64_t, nlohmann::json> results(const std::string& analysis) {
    RecordingLibrary lib(dir_ / "lib.db");
    std::map<int64_t, nlohmann::json> out;
    for (const auto& r : lib.results("r"))
      if (r.analysis == analysis) out[r.recording_id] = nlohmann::json::parse(r.payload_json);
    return out;
  }
  test::TempDir dir_;
};

double value(const nlohmann::json& v) {
  return v.is_null() ? std::nan("") : v.get<double>();
}

TEST_F(LagRun, LagMatrixRowsEqualTheKernelAndTheCsvListsEveryPair) {
  const auto s = run(config({{{"type", "lag_matrix"}, {"channels", kVel}, {"max_lag_s", 0.25}}}));
  EXPECT_EQ(s.processed, 6);
  EXPECT_TRUE(s.failures.empty());
  const auto res = results("lag_matrix");
  ASSERT_EQ(res.size(), 6u);
  RecordingLibrary lib(dir_ / "lib.db");
  for (const int64_t id : {1, 4, 6}) {
    const Recording rec = lib.get(id);
    const auto values = extract_channels<double>(rec, channel_indices(rec, kVel));
    const int64_t max_lag = static_cast<int64_t>(std::floor(0.25 * rec.sample_rate + 1e-9));
    const lag::Matrix m = lag::matrix<double>({values.data(), rec.frames(), 5}, rec.sample_rate,
                                              {.max_lag = max_lag});
    const auto& p = res.at(id);
    EXPECT_EQ(p["channels"], nlohmann::json(kVel));
    EXPECT_EQ(p["max_lag"], max_lag);
    EXPECT_EQ(p["frames"], rec.frames());
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 5; ++j) {
        EXPECT_EQ(value(p["lag_s"][i][j]), m.seconds(i, j)) << id << " " << i << "," << j;
        EXPECT_EQ(value(p["lag_samples"][i][j]), m.samples(i, j));
        EXPECT_EQ(value(p["correlation"][i][j]), m.corr(i, j));
      }
    // The demo's chain: the club's velocity lags the pelvis's.
    EXPECT_GT(value(p["lag_s"][0][4]), 0) << id;
  }
  std::ifstream csv(dir_ / "out/r/lag_matrix.csv");
  ASSERT_TRUE(csv.good());
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "recording_id,filename,channel_a,channel_b,lag_s,lag_samples,correlation");
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 6 * 10);  // 5 channels: 10 pairs per recording
}

TEST_F(LagRun, ArraysCarryTheMatricesForTheSink) {
  // The analysis hands its matrices to the array sink; check what it hands over directly.
  const auto& registry = analysis_registry();
  const auto it = std::find_if(registry.begin(), registry.end(),
                               [](const AnalysisInfo& a) { return a.type == "lag_matrix"; });
  ASSERT_NE(it, registry.end());
  const nlohmann::json opts{{"channels", {"a", "b", "c"}}, {"max_lag", 3}};
  JsonReader reader(opts, "/analyses/0", "test.json");
  auto analysis = it->factory(reader);
  reader.finish();
  RunContext ctx;
  analysis->prepare(ctx);
  RecordingBatch batch;
  Recording rec;
  rec.meta.id = 7;
  rec.meta.num_frames = 50;
  rec.sample_rate = 10;
  rec.channels = {"a", "b", "c"};
  // Channel c is one noise signal delayed by 2c samples.
  std::mt19937_64 gen(7);
  std::vector<double> base(60);
  for (auto& b : base) b = std::uniform_real_distribution<double>(-1, 1)(gen);
  for (int c = 0; c < 3; ++c)
    for (int t = 0; t < 50; ++t) rec.data.push_back(base[static_cast<std::size_t>(t + 10 - 2 * c)]);
  batch.recordings.push_back(rec);
  const auto out = analysis->process(batch, ctx);
  ASSERT_EQ(out.size(), 1u);
  const auto& arrays = out[0].arrays;
  ASSERT_EQ(arrays.datasets.size(), 3u);
  EXPECT_EQ(arrays.datasets[0].name, "lag");
  EXPECT_EQ(arrays.datasets[1].name, "lag_samples");
  EXPECT_EQ(arrays.datasets[2].name, "correlation");
  const lag::Matrix m = lag::matrix<double>({rec.data.data(), 50, 3}, 10.0, {.max_lag = 3});
  for (const auto& d : arrays.datasets) {
    EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(d.dtype, io::DType::f64);
    ASSERT_EQ(d.bytes.size(), 9 * sizeof(double));
    std::vector<double> v(9);
    std::memcpy(v.data(), d.bytes.data(), d.bytes.size());
    const auto& want = d.name == "lag"           ? m.lag_seconds
                       : d.name == "lag_samples" ? m.lag_samples
                                                 : m.correlation;
    EXPECT_EQ(v, want) << d.name;
  }
  EXPECT_EQ(out[0].payload["lag_samples"][0][1].get<double>(), 2.0);  // b = a delayed 2 samples
}

TEST_F(LagRun, Hdf5OutputHoldsTheMatricesNamedInTheRow) {
  auto c = config({{{"type", "lag_matrix"}, {"channels", {"pelvis_rot_vel", "club_vel"}}}}, 3, 3);
  c.output.formats.push_back("hdf5");
  run(c);
  const auto res = results("lag_matrix");
  ASSERT_EQ(res.size(), 3u);
  const auto& p = res.at(2);
  ASSERT_TRUE(p.contains("arrays")) << p.dump();
  EXPECT_EQ(p["arrays"]["datasets"], nlohmann::json({"lag", "lag_samples", "correlation"}));
  const io::ArrayFile file = io::read_h5(dir_ / "out/r" / p["arrays"]["file"].get<std::string>());
  const auto lag = file.at("lag").values<double>();
  ASSERT_EQ(lag.size(), 4u);
  EXPECT_EQ(lag[1], p["lag_s"][0][1].get<double>());
  EXPECT_EQ(file.at("correlation").values<double>()[2], p["correlation"][1][0].get<double>());
  bool has_channels = false;
  for (const auto& [name, v] : file.attrs)
    if (name == "channels")
      has_channels = std::get<std::vector<std::string>>(v) ==
                     std::vector<std::string>{"pelvis_rot_vel", "club_vel"};
  EXPECT_TRUE(has_channels);
}

TEST_F(LagRun, KinematicSequenceRunsProximalToDistalOnTheDemoSwings) {
  const auto s = run(config({{{"type", "kinematic_sequence"}}}));
  EXPECT_TRUE(s.failures.empty());
  const auto res = results("kinematic_sequence");
  ASSERT_EQ(res.size(), 6u);
  RecordingLibrary lib(dir_ / "lib.db");
  for (const auto& [id, p] : res) {
    EXPECT_EQ(p["order"], nlohmann::json({"pelvis", "thorax", "lead_arm", "club"})) << id;
    EXPECT_TRUE(p["proximal_to_distal"].get<bool>());
    EXPECT_TRUE(p["complete"].get<bool>());
    ASSERT_EQ(p["segments"].size(), 4u);
    ASSERT_EQ(p["gaps_s"].size(), 3u);
    const Recording rec = lib.get(id);
    const std::vector<std::string> ch{"pelvis_rot_vel", "thorax_rot_vel", "lead_shoulder_vel",
                                      "club_vel"};
    const auto values = extract_channels<double>(rec, channel_indices(rec, ch));
    const int comps[4] = {1, 1, 1, 1};
    const auto seq =
        lag::kinematic_sequence<double>({values.data(), rec.frames(), 4}, comps, rec.sample_rate);
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(p["segments"][k]["time_s"].get<double>(), seq.peaks[k].time);
      EXPECT_EQ(p["segments"][k]["speed"].get<double>(), seq.peaks[k].speed);
    }
  }
  std::ifstream csv(dir_ / "out/r/kinematic_sequence.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "recording_id,filename,segment,rank,time_s,speed,gap_s,proximal_to_distal");
}

TEST_F(LagRun, CustomSegmentsAndMissingChannelsFailOnlyTheirRecording) {
  auto c = config({{{"type", "kinematic_sequence"},
                    {"segments",
                     {{{"name", "hips"}, {"channels", {"pelvis_rot_vel"}}},
                      {{"name", "hands"}, {"channels", {"lead_wrist_vel", "lead_elbow_vel"}}}}},
                    {"refine", false}}},
                  4, 4);
  run(c);
  const auto res = results("kinematic_sequence");
  ASSERT_EQ(res.size(), 4u);
  EXPECT_EQ(res.at(1)["segments"][1]["channels"],
            nlohmann::json({"lead_wrist_vel", "lead_elbow_vel"}));
  const double frame = res.at(1)["segments"][0]["frame"].get<double>();
  EXPECT_EQ(frame, std::round(frame));  // refine false: whole samples

  auto bad = config({{{"type", "kinematic_sequence"},
                      {"segments",
                       {{{"name", "hips"}, {"channels", {"pelvis_rot_vel"}}},
                        {{"name", "bat"}, {"channels", {"bat_vel"}}}}}}},
                    3, 3);
  bad.run_id = "r2";
  const auto s = run(bad);
  EXPECT_EQ(s.processed, 0);
  ASSERT_EQ(s.failures.size(), 4u);  // the 4 recordings already in the library
  EXPECT_NE(s.failures[0].second.find("'bat_vel'"), std::string::npos) << s.failures[0].second;
}

TEST_F(LagRun, ConfigMistakesNameTheirPath) {
  auto expect_error = [&](const nlohmann::json& analysis, const std::string& needle) {
    try {
      config(nlohmann::json::array({analysis}));
      ADD_FAILURE() << "no error for " << analysis.dump();
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error({{"type", "lag_matrix"}, {"max_lag", 3}, {"max_lag_s", 0.1}}, "/analyses/0/max_lag");
  expect_error({{"type", "lag_matrix"}, {"max_lag", -2}}, "/analyses/0/max_lag");
  expect_error({{"type", "lag_matrix"}, {"max_lag_s", "0.1"}}, "/analyses/0/max_lag_s");
  expect_error({{"type", "lag_matrix"}, {"precision", "half"}}, "/analyses/0/precision");
  expect_error({{"type", "lag_matrix"}, {"maxlag", 3}}, "maxlag");
  expect_error({{"type", "kinematic_sequence"}, {"segments", {{{"name", "x"}}}}}, "channels");
  expect_error(
      {{"type", "kinematic_sequence"}, {"segments", {{{"name", "x"}, {"channels", {"a"}}}}}},
      "at least two");
}

}  // namespace
}  // namespace swingpipe::pipeline
