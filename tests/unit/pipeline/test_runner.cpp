// The runner with the built-in analyses on demo swings, checked against the kernels' references.
#include <cmath>
#include <fstream>

#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "swingpipe/kernels/stats.hpp"
#include "swingpipe/pipeline/packing.hpp"
#include "swingpipe/pipeline/runner.hpp"
#include "test_support.hpp"

namespace swingpipe::pipeline {
namespace {

class Runner : public ::testing::Test {
 protected:
  RunConfig config(const nlohmann::json& analyses, int count = 7, int batch = 3) {
    nlohmann::json j{{"library", (dir_ / "lib.db").string()},
                     {"run_id", "r"},
                     {"backend", "cpu"},
                     {"batch_size", batch},
                     {"progress", "never"},
                     {"demo_data", {{"seed_if_empty", true}, {"count", count}}},
                     {"output", {{"dir", (dir_ / "out").string()}}},
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
  Recording get(int64_t id) { return RecordingLibrary(dir_ / "lib.db").get(id); }
  test::TempDir dir_;
};

TEST_F(Runner, StatsMatchTheKernelForEveryChannel) {
  const auto summary = run(config({{{"type", "stats"}}}));
  EXPECT_EQ(summary.processed, 7);
  EXPECT_TRUE(summary.failures.empty());
  const auto res = results("stats");
  ASSERT_EQ(res.size(), 7u);
  const Recording rec = get(4);
  const auto expected =
      stats::describe({rec.data.data(), rec.frames(), rec.channel_count()}, rec.sample_rate);
  for (int c = 0; c < rec.channel_count(); ++c) {
    const auto& got = res.at(4)["channels"][rec.channels[c]];
    EXPECT_DOUBLE_EQ(got["mean"].get<double>(), expected[c].mean);
    EXPECT_DOUBLE_EQ(got["rms_jerk"].get<double>(), expected[c].rms_jerk);
    EXPECT_DOUBLE_EQ(got["peak_abs_rate"].get<double>(), expected[c].peak_abs_rate);
  }
}

TEST_F(Runner, DtwToReferenceEqualsTheReferenceDistanceAndPath) {
  const std::vector<std::string> ch{"pelvis_rot", "club"};
  run(config({{{"type", "dtw"},
               {"channels", ch},
               {"band_fraction", 0.2},
               {"reference_id", 2},
               {"paths", true}}}));
  const auto res = results("dtw");
  ASSERT_EQ(res.size(), 7u);
  const Recording ref = get(2);
  const auto ref_values = extract_channels<double>(ref, channel_indices(ref, ch));
  for (int64_t id : {1, 2, 5}) {
    const Recording rec = get(id);
    const auto values = extract_channels<double>(rec, channel_indices(rec, ch));
    const SeriesRef<double> x{values.data(), rec.frames(), 2},
        y{ref_values.data(), ref.frames(), 2};
    const double want = dtw::reference_distance(x, y, dtw::Band::fraction(0.2), false);
    EXPECT_NEAR(res.at(id)["distance"].get<double>(), want, 1e-9 * (1 + want)) << id;
    const auto path = dtw::reference_path(x, y, dtw::Band::fraction(0.2), false);
    ASSERT_EQ(res.at(id)["path"].size(), path.steps.size());
    EXPECT_EQ(res.at(id)["path"].back()[0], rec.frames() - 1);
    EXPECT_EQ(res.at(id)["path"].back()[1], ref.frames() - 1);
  }
  EXPECT_EQ(res.at(2)["distance"].get<double>(), 0.0);
}

TEST_F(Runner, DtwAllPairsIsSymmetricAndKnnExcludesSelf) {
  run(config({{{"type", "dtw"}, {"name", "ap"}, {"mode", "all_pairs"}, {"channels", {"club"}}},
              {{"type", "dtw"}, {"name", "nn"}, {"mode", "knn"}, {"channels", {"club"}}, {"k", 2}}},
             6, 4));
  const auto ap = results("ap");
  const auto nn = results("nn");
  ASSERT_EQ(ap.size(), 6u);
  ASSERT_EQ(nn.size(), 6u);
  for (int64_t i = 1; i <= 6; ++i) {
    EXPECT_EQ(ap.at(i)["distances"][std::to_string(i)].get<double>(), 0.0);
    for (int64_t j = 1; j <= 6; ++j)
      EXPECT_EQ(ap.at(i)["distances"][std::to_string(j)], ap.at(j)["distances"][std::to_string(i)]);
    // The nearest neighbours are the two smallest off-diagonal entries of the row.
    std::vector<std::pair<double, int64_t>> row;
    for (int64_t j = 1; j <= 6; ++j)
      if (j != i) row.emplace_back(ap.at(i)["distances"][std::to_string(j)].get<double>(), j);
    std::sort(row.begin(), row.end());
    ASSERT_EQ(nn.at(i)["neighbors"].size(), 2u);
    for (int r = 0; r < 2; ++r) {
      EXPECT_EQ(nn.at(i)["neighbors"][r]["id"], row[r].second);
      EXPECT_NEAR(nn.at(i)["neighbors"][r]["distance"].get<double>(), row[r].first,
                  1e-9 * (1 + row[r].first));
    }
  }
  std::ifstream matrix(dir_ / "out/r/ap.json");
  const auto m = nlohmann::json::parse(matrix);
  EXPECT_EQ(m["ids"].size(), 6u);
  EXPECT_EQ(m["matrix"][1][2], ap.at(2)["distances"]["3"]);
}

TEST_F(Runner, Hdf5OutputWritesPathsAndTheMatrixAndTheRowsNameThem) {
  auto c =
      config({{{"type", "dtw"},
               {"name", "ref"},
               {"channels", {"club"}},
               {"reference_id", 3},
               {"paths", true}},
              {{"type", "dtw"}, {"name", "ap"}, {"mode", "all_pairs"}, {"channels", {"club"}}}},
             5, 2);
  c.output.formats = {"json", "hdf5"};
  run(c);
  const auto ref = results("ref");
  ASSERT_EQ(ref.size(), 5u);
  for (const auto& [id, p] : ref) {
    SCOPED_TRACE(id);
    ASSERT_EQ(p["arrays"]["file"], "arrays/ref/" + std::to_string(id) + ".h5");
    EXPECT_EQ(p["arrays"]["datasets"], nlohmann::json({"path"}));
    const auto file = io::read_h5(dir_ / "out/r" / p["arrays"]["file"].get<std::string>());
    const auto& path = file.at("path");
    ASSERT_EQ(path.shape, (std::vector<int64_t>{static_cast<int64_t>(p["path"].size()), 2}));
    const auto v = path.values<int64_t>();
    for (std::size_t k = 0; k < p["path"].size(); ++k) {
      ASSERT_EQ(v[2 * k], p["path"][k][0].get<int64_t>());
      ASSERT_EQ(v[2 * k + 1], p["path"][k][1].get<int64_t>());
    }
    EXPECT_EQ(std::get<int64_t>(file.attrs[2].second), id);  // run_id, analysis, recording_id
    EXPECT_EQ(file.attrs[1].second, io::AttrValue(std::string("ref")));
  }
  // The run-wide matrix: the same numbers as the JSON export, ids in selection order.
  const auto m = nlohmann::json::parse(std::ifstream(dir_ / "out/r/ap.json"));
  EXPECT_EQ(m["arrays"]["file"], "arrays/ap.h5");
  const auto file = io::read_h5(dir_ / "out/r/arrays/ap.h5");
  EXPECT_EQ(file.at("recording_ids").values<int64_t>().size(), 5u);
  const auto d = file.at("distances").values<double>();
  ASSERT_EQ(d.size(), 25u);
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 5; ++j) EXPECT_EQ(d[i * 5 + j], m["matrix"][i][j].get<double>());
}

TEST_F(Runner, WithoutHdf5NoArrayFilesAndPayloadsUnchanged) {
  run(config({{{"type", "dtw"}, {"channels", {"club"}}, {"reference_id", 1}, {"paths", true}}}, 3));
  for (const auto& [id, p] : results("dtw")) EXPECT_FALSE(p.contains("arrays")) << id;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/r/arrays"));
}

TEST_F(Runner, MissingChannelFailsOnlyThatRecordingAndTheRestIsStored) {
  auto c = config({{{"type", "stats"}, {"channels", {"club", "pelvis_rot"}}}}, 4, 4);
  {
    // A recording without the "club" channel joins the library.
    RecordingLibrary lib(c.library);
    Recording odd;
    odd.meta.filename = "odd.csv";
    odd.meta.num_frames = 3;
    odd.channels = {"pelvis_rot"};
    odd.data = {1, 2, 3};
    odd.sample_rate = 100;
    lib.add(odd);
  }
  c.demo.seed_if_empty = false;
  const auto s = run(c);
  EXPECT_EQ(s.selected, 1);  // the library was not empty, so only the odd recording is there
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_NE(s.failures[0].second.find("'club'"), std::string::npos);
}

TEST_F(Runner, FailuresAreIsolatedWithinABatch) {
  auto c = config({{{"type", "stats"}, {"channels", {"club"}}}}, 5, 10);
  run(c);  // seeds 5 demo swings and processes them
  {
    RecordingLibrary lib(c.library);
    Recording odd;
    odd.meta.filename = "odd.csv";
    odd.meta.num_frames = 2;
    odd.channels = {"x"};
    odd.data = {1, 2};
    lib.add(odd);
  }
  c.run_id = "r2";
  const auto s = run(c);
  EXPECT_EQ(s.selected, 6);
  EXPECT_EQ(s.processed, 5);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].first, 6);
}

TEST_F(Runner, HooksSeeProgressAndStopAtABatchBoundaryThenTheRunResumes) {
  std::vector<std::pair<int64_t, int64_t>> seen;
  RunHooks hooks;
  hooks.progress = [&](int64_t done, int64_t total) { seen.emplace_back(done, total); };
  hooks.stop_requested = [&] { return seen.size() >= 3; };  // once two batches are committed
  const auto stopped = run(config({{{"type", "stats"}}}, 13, 3), hooks);
  EXPECT_TRUE(stopped.stopped);
  EXPECT_TRUE(stopped.to_json()["stopped"].get<bool>());
  // Whole batches only (one may have been in flight when the stop came), never all of them.
  EXPECT_GE(stopped.processed, 6);
  EXPECT_LT(stopped.processed, 13);
  EXPECT_EQ(stopped.processed % 3, 0);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), std::make_pair(int64_t{0}, int64_t{13}));
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_EQ(seen[i].first, seen[i - 1].first + 3);
  EXPECT_EQ(seen.back().first, stopped.processed);
  EXPECT_EQ(results("stats").size(), static_cast<std::size_t>(stopped.processed));
  // The same run id again: only the rest is done.
  seen.clear();
  RunHooks watch;
  watch.progress = hooks.progress;
  const auto resumed = run(config({{{"type", "stats"}}}, 13, 3), watch);
  EXPECT_FALSE(resumed.stopped);
  EXPECT_EQ(resumed.already_done, stopped.processed);
  EXPECT_EQ(resumed.processed, 13 - stopped.processed);
  EXPECT_EQ(seen.front().first, stopped.processed);
  EXPECT_EQ(seen.back(), std::make_pair(int64_t{13}, int64_t{13}));
  EXPECT_EQ(results("stats").size(), 13u);
}

TEST_F(Runner, UnknownIdsAndCudaWithoutDeviceAreClearErrors) {
  auto c = config({{{"type", "stats"}}});
  c.select.ids = {999};
  EXPECT_THROW(run(c), InputError);
  if (!cuda_device_info().available()) {
    auto g = config({{{"type", "stats"}}});
    g.backend = Backend::cuda;
    EXPECT_THROW(run(g), BackendError);
  }
}

}  // namespace
}  // namespace swingpipe::pipeline
