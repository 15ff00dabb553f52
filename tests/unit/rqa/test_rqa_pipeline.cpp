// The `rqa` analysis through the runner on demo swings, and `swingpipe rqa` end to end: every
// number equals the kernel's on the same embedded channels; config and command-line mistakes are
// refused naming the key or flag.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>

#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/demo_swing.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/rqa.hpp"
#include "swingpipe/pipeline/packing.hpp"
#include "swingpipe/pipeline/rqa_run.hpp"
#include "swingpipe/pipeline/runner.hpp"
#include "test_support.hpp"

namespace swingpipe::pipeline {
namespace {

class RqaRun : public ::testing::Test {
 protected:
  RunConfig config(const nlohmann::json& analyses, int count = 4) {
    nlohmann::json j{{"library", (dir_ / "lib.db").string()},
                     {"run_id", "r"},
                     {"backend", "cpu"},
                     {"batch_size", 3},
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

rqa::Points<double> channels_of(const Recording& rec, const std::vector<std::string>& names) {
  const SeriesRef<double> s{rec.data.data(), rec.frames(), rec.channel_count()};
  return rqa::embed<double>(s, rqa::Embedding::of_channels(channel_indices(rec, names)));
}

TEST_F(RqaRun, AutoRecurrenceEqualsTheKernel) {
  const std::vector<std::string> ch{"pelvis_rot", "club", "club_vel"};
  auto cfg = config({{{"type", "rqa"}, {"channels", ch}}});
  cfg.output.formats = {"json", "csv"};
  const auto summary = run(cfg);
  EXPECT_EQ(summary.processed, 4);
  EXPECT_TRUE(summary.failures.empty());
  const auto res = results("rqa");
  ASSERT_EQ(res.size(), 4u);
  for (int64_t id : {1, 3}) {
    const Recording rec = get(id);
    const rqa::Result want = rqa::recurrence(channels_of(rec, ch), rqa::Options{});
    const auto& p = res.at(id);
    EXPECT_EQ(p["points"].get<int64_t>(), rec.frames());
    EXPECT_EQ(p["dims"].get<int>(), 3);
    EXPECT_EQ(p["epsilon"].get<double>(), want.epsilon);
    EXPECT_EQ(p["recurrences"].get<int64_t>(), want.measures.recurrences);
    EXPECT_EQ(p["cells"].get<int64_t>(), want.measures.cells);
    EXPECT_EQ(p["rr"].get<double>(), want.measures.rr);
    EXPECT_EQ(p["det"].get<double>(), want.measures.det);
    EXPECT_EQ(p["lmax"].get<int64_t>(), want.measures.lmax);
    EXPECT_EQ(p["tt"].get<double>(), want.measures.tt);
    EXPECT_EQ(p["convention"], "standard");
  }
  // The CSV export has one row per recording with the measures.
  std::ifstream csv(summary.export_dir / "rqa.csv");
  ASSERT_TRUE(csv) << summary.export_dir;
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(
      line,
      "recording_id,filename,points,epsilon,rr,det,l,lmax,entr,lam,tt,vmax,recurrences,cells");
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 4);
}

TEST_F(RqaRun, JointCrossAndWindowedModes) {
  const std::vector<std::string> a{"pelvis_rot", "thorax_rot"}, b{"club_vel"};
  run(config({{{"type", "rqa"},
               {"name", "joint"},
               {"mode", "joint"},
               {"channels", a},
               {"joint_channels", b},
               {"threshold", {{"kind", "rate"}, {"value", 0.1}}},
               {"convention", "pyrqa"}},
              {{"type", "rqa"},
               {"name", "cross"},
               {"mode", "cross"},
               {"channels", b},
               {"reference_id", 2},
               {"norm", "maximum"}},
              {{"type", "rqa"},
               {"name", "win"},
               {"embedding", "delay"},
               {"delay_channel", "club"},
               {"dimension", 3},
               {"delay", 6},
               {"window", 120},
               {"window_step", 60},
               {"precision", "float32"}}}));
  const Recording r3 = get(3), r2 = get(2);
  rqa::Options jo;
  jo.threshold = rqa::Threshold::rate(0.1);
  jo.convention = rqa::Convention::pyrqa;
  const auto joint = rqa::joint_recurrence(channels_of(r3, a), channels_of(r3, b), jo);
  const auto jp = results("joint").at(3);
  EXPECT_EQ(jp["recurrences"].get<int64_t>(), joint.measures.recurrences);
  EXPECT_EQ(jp["epsilon_b"].get<double>(), joint.epsilon_b);
  rqa::Options co;
  co.norm = rqa::Norm::maximum;
  const auto cross = rqa::cross_recurrence(channels_of(r3, b), channels_of(r2, b), co);
  const auto cp = results("cross").at(3);
  EXPECT_EQ(cp["reference_id"].get<int64_t>(), 2);
  EXPECT_EQ(cp["rows"].get<int64_t>(), r3.frames());
  EXPECT_EQ(cp["cols"].get<int64_t>(), r2.frames());
  EXPECT_EQ(cp["det"].get<double>(), cross.measures.det);
  EXPECT_EQ(cp["theiler"].get<int64_t>(), 0);
  const SeriesRef<double> s{r3.data.data(), r3.frames(), r3.channel_count()};
  const auto club = channel_indices(r3, {"club"});
  const auto x = rqa::embed<float>(s, rqa::Embedding::time_delay(club[0], 3, 6));
  const auto w = rqa::windowed(x, 120, 60, rqa::Options{});
  const auto wp = results("win").at(3);
  EXPECT_EQ(wp["windows"]["count"].get<std::size_t>(), w.starts.size());
  EXPECT_EQ(wp["points"].get<int64_t>(), r3.frames() - 12);
}

TEST_F(RqaRun, ArraysHoldTheHistogramsAndTimeCourses) {
  const Recording rec = demo::generate_swings({1, 240, 7})[0];
  RqaRequest q;
  q.channels = {"club", "club_vel"};
  q.window = 100;
  q.step = 50;
  const RqaOutcome out = run_rqa(q, rec);
  const io::ArrayFile f = rqa_arrays(out, rec.sample_rate);
  ASSERT_EQ(f.datasets[0].name, "diagonal_histogram");
  EXPECT_EQ(f.datasets[0].shape[0], static_cast<int64_t>(out.result.histograms.diagonal.size()));
  int64_t sum = 0;
  for (std::size_t l = 0; l < out.result.histograms.vertical.size(); ++l)
    sum += static_cast<int64_t>(l) * out.result.histograms.vertical[l];
  EXPECT_EQ(sum, out.result.measures.recurrences);
  bool has_time = false;
  for (const auto& d : f.datasets)
    if (d.name == "windowed/time") {
      has_time = true;
      ASSERT_EQ(d.shape[0], static_cast<int64_t>(out.windowed->starts.size()));
      double second;
      std::memcpy(&second, d.bytes.data() + sizeof(double), sizeof second);
      EXPECT_DOUBLE_EQ(second, 50.0 / 240.0);
    }
  EXPECT_TRUE(has_time);
}

TEST_F(RqaRun, Hdf5FilesHoldTheHistogramsAndTheRowsNameThem) {
  auto c = config(
      {{{"type", "rqa"}, {"channels", {"club", "club_vel"}}, {"window", 100}, {"window_step", 40}}},
      2);
  c.output.formats = {"json", "hdf5"};
  run(c);
  const auto res = results("rqa");
  ASSERT_EQ(res.size(), 2u);
  for (const auto& [id, p] : res) {
    SCOPED_TRACE(id);
    ASSERT_EQ(p["arrays"]["file"], "arrays/rqa/" + std::to_string(id) + ".h5");
    const auto file = io::read_h5(dir_ / "out/r" / p["arrays"]["file"].get<std::string>());
    const auto vert = file.at("vertical_histogram").values<int64_t>();
    int64_t points = 0;
    for (std::size_t l = 0; l < vert.size(); ++l) points += static_cast<int64_t>(l) * vert[l];
    EXPECT_EQ(points, p["recurrences"].get<int64_t>());
    const auto starts = file.at("windowed/start_frame").values<int64_t>();
    ASSERT_EQ(starts.size(), p["windows"]["count"].get<std::size_t>());
    EXPECT_EQ(starts[1], 40);
    EXPECT_EQ(file.at("windowed/rr").values<double>().size(), starts.size());
  }
  // h5py, the reader users have, sees the same histogram.
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  const auto& p1 = res.begin()->second;
  const auto path = dir_ / "out/r" / p1["arrays"]["file"].get<std::string>();
  std::ofstream(dir_ / "read.py") << "import h5py, sys\n"
                                     "with h5py.File(sys.argv[1], 'r') as f:\n"
                                     "    h = f['diagonal_histogram']\n"
                                     "    print(h.attrs['axes'], sum(int(v) for v in h[()]))\n";
  std::string out;
  ASSERT_EQ(
      test::run_shell(py.string() + " " + (dir_ / "read.py").string() + " " + path.string(), &out),
      0)
      << out;
  const io::ArrayFile back = io::read_h5(path);
  const auto diag = back.at("diagonal_histogram").values<int64_t>();
  int64_t lines = 0;
  for (int64_t v : diag) lines += v;
  EXPECT_EQ(out, "length " + std::to_string(lines) + "\n");
}

TEST_F(RqaRun, BadConfigsNameTheKey) {
  auto bad = [&](nlohmann::json a, const std::string& key) {
    a["type"] = "rqa";
    try {
      config(nlohmann::json::array({a}));
      ADD_FAILURE() << "accepted " << a.dump();
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  bad({{"norm", "l2"}}, "norm");
  bad({{"threshold", {{"kind", "absolute"}}}}, "value");
  bad({{"threshold", {{"kind", "fraction"}, {"value", 2}}}}, "value");
  bad({{"threshold", {{"kind", "fraction"}, {"extra", 2}}}}, "extra");
  bad({{"theiler", -1}}, "theiler");
  bad({{"l_min", 0}}, "l_min");
  bad({{"convention", "julia"}}, "convention");
  bad({{"mode", "joint"}}, "joint_channels");
  bad({{"embedding", "delay"}}, "delay_channel");
  bad({{"window", 1}}, "window");
  bad({{"reference_id", 3}}, "reference_id");
  bad({{"unknown_key", 1}}, "unknown_key");
}

TEST_F(RqaRun, MissingChannelOrNaNFailsOnlyThatRecording) {
  RecordingLibrary lib(dir_ / "lib.db");
  auto recs = demo::generate_swings({2, 240, 3});
  recs[1].data[10] = std::nan("");
  for (auto& r : recs) lib.add(r);
  const auto summary = run(config({{{"type", "rqa"}, {"channels", {"pelvis_rot"}}}}, 0));
  EXPECT_EQ(summary.processed, 1);
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_NE(summary.failures[0].second.find("frame 10 is NaN"), std::string::npos)
      << summary.failures[0].second;
}

// ---- the CLI ---------------------------------------------------------------------------------

TEST(RqaCli, FileGivesTheKernelsMeasuresAndBadInputExits2) {
  test::TempDir dir;
  {
    std::ofstream f(dir / "s.csv");
    f << "x,y\n";
    for (int t = 0; t < 300; ++t)
      f << std::sin(0.21 * t) << "," << std::cos(0.13 * t) + 0.01 * (t % 7) << "\n";
  }
  const std::string file = (dir / "s.csv").string();
  std::string out;
  ASSERT_EQ(
      test::run_cli("--json -q rqa " + file + " --rate 0.08 --theiler 3 --norm manhattan", &out), 0)
      << out;
  const auto j = nlohmann::json::parse(out);
  const Recording rec = io::read_any(file)[0];
  rqa::Options o;
  o.threshold = rqa::Threshold::rate(0.08);
  o.theiler = 3;
  o.norm = rqa::Norm::manhattan;
  const auto want = rqa::recurrence(channels_of(rec, {}), o);
  EXPECT_EQ(j["rr"].get<double>(), want.measures.rr);
  EXPECT_EQ(j["det"].get<double>(), want.measures.det);
  EXPECT_EQ(j["histograms"]["diagonal"].get<std::vector<int64_t>>(), want.histograms.diagonal);
  EXPECT_EQ(j["histograms"]["white_vertical"].get<std::vector<int64_t>>(),
            want.histograms.white_vertical);
  // cross-recurrence with itself is the auto matrix with w = 0 and every cell counted
  ASSERT_EQ(test::run_cli("--json -q rqa " + file + " " + file + " --eps 0.3", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["cells"].get<int64_t>(), 300 * 300);
  ASSERT_EQ(test::run_cli("-q rqa " + file + " --window 100 --step 100", &out), 0) << out;
  EXPECT_NE(out.find("DET"), std::string::npos);
  for (const std::string& args :
       {"rqa " + file + " --eps 0", "rqa " + file + " --fraction 0.1 --rate 0.1",
        "rqa " + file + " --norm taxi", "rqa " + file + " --channels nope",
        "rqa " + file + " --window 1", "rqa " + file + " --convention x", std::string("rqa id:zz"),
        "rqa " + file + " --delay-channel x --dimension 0"}) {
    EXPECT_EQ(test::run_cli(args, &out), 2) << args << "\n" << out;
    EXPECT_NE(out.find("error"), std::string::npos) << out;
  }
  EXPECT_NE(test::run_cli("rqa " + (dir / "missing.csv").string(), &out), 0);
}

}  // namespace
}  // namespace swingpipe::pipeline
