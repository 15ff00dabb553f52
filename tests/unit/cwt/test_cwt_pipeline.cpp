// The run-config analyses cwt, xwt and coherence on demo swings: summaries against the kernel
// computed here, arrays in the HDF5 files the runner writes, the plan cache hitting across
// recordings, and bad options / recordings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <fstream>
#include <map>

#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/cwt.hpp"
#include "swingpipe/pipeline/runner.hpp"
#include "test_support.hpp"

namespace swingpipe::pipeline {
namespace {

class CwtRunner : public ::testing::Test {
 protected:
  RunConfig config(const nlohmann::json& analyses, int count = 6) {
    nlohmann::json j{
        {"library", (dir_ / "lib.db").string()},
        {"run_id", "r"},
        {"backend", "cpu"},
        {"batch_size", 4},
        {"progress", "never"},
        {"demo_data", {{"seed_if_empty", true}, {"count", count}}},
        {"output", {{"dir", (dir_ / "out").string()}, {"formats", {"json", "csv", "hdf5"}}}},
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
  io::ArrayFile arrays(const nlohmann::json& payload) {
    return io::read_h5(dir_ / "out/r" / payload["arrays"]["file"].get<std::string>());
  }
  test::TempDir dir_;
};

TEST_F(CwtRunner, ScalogramsSummariesAndPlanCache) {
  const auto s = run(config({{{"type", "cwt"},
                              {"channels", {"pelvis_rot_vel", "club_vel"}},
                              {"fmin", 0.5},
                              {"fmax", 20.0},
                              {"count", 12},
                              {"bands", {{0.5, 2.0}, {2.0, 20.0}}}}}));
  EXPECT_EQ(s.processed, 6);
  EXPECT_TRUE(s.failures.empty());
  const auto res = results("cwt");
  ASSERT_EQ(res.size(), 6u);
  const std::vector<double> freqs = cwt::geometric_frequencies(0.5, 20.0, 12);
  for (const auto& [id, p] : res) {
    SCOPED_TRACE(id);
    const Recording rec = get(id);
    const int64_t n = rec.frames();
    // The scalogram the runner wrote equals the kernel's power on the same channels.
    std::vector<double> x(rec.channel(6), rec.channel(6) + n);  // pelvis_rot_vel
    const auto club = std::find(rec.channels.begin(), rec.channels.end(), "club_vel");
    x.insert(x.end(), rec.channel(static_cast<int>(club - rec.channels.begin())),
             rec.channel(static_cast<int>(club - rec.channels.begin())) + n);
    ASSERT_EQ(rec.channels[6], "pelvis_rot_vel");
    const cwt::Plan plan({.length = n, .frequencies = freqs, .sample_rate = rec.sample_rate});
    std::vector<double> want(2 * 12 * n);
    cwt::transform<double>(plan, {x.data(), n, 2}, cwt::Output::power, want);
    const auto file = arrays(p);
    const auto& sc = file.at("scalogram");
    EXPECT_EQ(sc.shape, (std::vector<int64_t>{2, 12, n}));
    const auto got = sc.values<double>();
    for (std::size_t k = 0; k < want.size(); ++k)
      ASSERT_NEAR(got[k], want[k], 1e-12 * (1 + want[k])) << k;
    EXPECT_EQ(file.at("frequencies").values<double>().size(), 12u);
    EXPECT_EQ(file.at("times").values<double>()[1], 1.0 / rec.sample_rate);
    // Summary: the peak of the time-averaged power, and the band means.
    for (int c = 0; c < 2; ++c) {
      std::vector<double> mean(12, 0.0);
      for (int i = 0; i < 12; ++i)
        for (int64_t t = 0; t < n; ++t) mean[i] += want[(c * 12 + i) * n + t] / double(n);
      const auto peak = std::max_element(mean.begin(), mean.end()) - mean.begin();
      const auto& ch = p["channels"][c];
      EXPECT_EQ(ch["name"], c == 0 ? "pelvis_rot_vel" : "club_vel");
      EXPECT_DOUBLE_EQ(ch["peak_frequency_hz"].get<double>(), freqs[peak]);
      EXPECT_NEAR(ch["peak_power"].get<double>(), mean[peak], 1e-9 * mean[peak]);
      double low = 0;
      int k = 0;
      for (int i = 0; i < 12; ++i)
        if (freqs[i] >= 0.5 && freqs[i] < 2.0) low += mean[i], ++k;
      EXPECT_NEAR(ch["bands"][0]["mean_power"].get<double>(), low / k, 1e-9 * low / k);
      EXPECT_EQ(ch["bands"][0]["frequencies"], k);
    }
  }
  // Swings of similar length share a plan: the run-wide result counts the hits.
  const auto run_wide = nlohmann::json::parse(std::ifstream(dir_ / "out/r/cwt.json"));
  EXPECT_EQ(run_wide["plan_cache"]["hits"].get<int64_t>() +
                run_wide["plan_cache"]["misses"].get<int64_t>(),
            6);
  EXPECT_GE(run_wide["plan_cache"]["hits"].get<int64_t>(), 1);
  // The CSV has a row per recording and channel.
  std::ifstream csv(dir_ / "out/r/cwt.csv");
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  EXPECT_EQ(lines, 1 + 6 * 2);
}

TEST_F(CwtRunner, CrossWaveletAndCoherenceOfPairs) {
  const auto s =
      run(config({{{"type", "xwt"},
                   {"pairs", nlohmann::json::array(
                                 {nlohmann::json::array({"pelvis_rot_vel", "thorax_rot_vel"})})},
                   {"count", 10},
                   {"output", "complex"}},
                  {{"type", "coherence"},
                   {"channels", {"pelvis_rot_vel", "thorax_rot_vel", "club_vel"}},
                   {"count", 10}}},
                 3));
  EXPECT_TRUE(s.failures.empty());
  const std::vector<double> freqs = cwt::geometric_frequencies(1, 30, 10);
  for (const auto& [id, p] : results("xwt")) {
    const Recording rec = get(id);
    const int64_t n = rec.frames();
    const cwt::Plan plan({.length = n, .frequencies = freqs, .sample_rate = rec.sample_rate});
    std::vector<double> x(rec.channel(6), rec.channel(6) + n),
        y(rec.channel(7), rec.channel(7) + n);
    std::vector<std::complex<double>> want(10 * n);
    cwt::cross<double>(plan, x, y, want);
    const auto file = arrays(p);
    const auto got = file.at("cross").values<std::complex<double>>();
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t k = 0; k < want.size(); ++k)
      ASSERT_LE(std::abs(got[k] - want[k]), 1e-12 * (1 + std::abs(want[k])));
    EXPECT_EQ(p["pairs"][0]["name"], "pelvis_rot_vel/thorax_rot_vel");
    EXPECT_TRUE(p["pairs"][0].contains("lead_at_peak_s"));
  }
  for (const auto& [id, p] : results("coherence")) {
    ASSERT_EQ(p["pairs"].size(), 2u);  // consecutive channels
    EXPECT_EQ(p["pairs"][1]["name"], "thorax_rot_vel/club_vel");
    const auto file = arrays(p);
    const auto r2 = file.at("coherence").values<double>();
    ASSERT_EQ(file.at("coherence").shape[0], 2);
    for (double v : r2)
      if (!std::isnan(v)) {
        ASSERT_TRUE(v >= 0 && v <= 1) << v;
      }
    // Against the kernel for the first pair.
    const Recording rec = get(id);
    const int64_t n = rec.frames();
    // The plan length the runner uses: where a channel is still (W ~ 1e-16 of its peak) R^2 is a
    // ratio of rounding noise, equal only for equal FFT lengths (plans of n and plan_length(n)
    // may group their scales into different lengths).
    const cwt::Plan plan(
        {.length = cwt::plan_length(n), .frequencies = freqs, .sample_rate = rec.sample_rate});
    std::vector<double> xy(rec.channel(6), rec.channel(6) + n);
    xy.insert(xy.end(), rec.channel(7), rec.channel(7) + n);
    std::vector<std::complex<double>> w(2 * 10 * n);
    cwt::transform<double>(plan, {xy.data(), n, 2}, w);
    std::vector<double> want(10 * n);
    cwt::coherence<double>(plan, std::span(w).first(10 * n), std::span(w).subspan(10 * n), want,
                           {});
    for (std::size_t k = 0; k < want.size(); ++k)
      if (!std::isnan(want[k])) {
        ASSERT_NEAR(r2[k], want[k], 1e-9);
      }
  }
}

TEST_F(CwtRunner, BadOptionsAreConfigErrorsAndBadRecordingsFailAlone) {
  EXPECT_THROW(config({{{"type", "cwt"}, {"fmin", -1.0}}}), ConfigError);
  EXPECT_THROW(config({{{"type", "cwt"}, {"bands", {{4.0, 1.0}}}}}), ConfigError);
  EXPECT_THROW(config({{{"type", "cwt"}, {"frequencies", {1.0, 2.0}}, {"fmin", 1.0}}}),
               ConfigError);
  EXPECT_THROW(config({{{"type", "cwt"}, {"output", "phase"}}}), ConfigError);
  EXPECT_THROW(config({{{"type", "xwt"}, {"output", "magnitude"}}}), ConfigError);
  EXPECT_THROW(config({{{"type", "xwt"}, {"pairs", {{"a"}}}}}), ConfigError);
  EXPECT_THROW(config({{{"type", "coherence"}, {"time_width", 0.0}}}), ConfigError);
  EXPECT_THROW(config({{{"type", "cwt"}, {"precison", "float32"}}}), ConfigError);
  // Demo swings are sampled at 240 Hz: 200 Hz is above Nyquist, each recording fails by name.
  const auto s = run(config({{{"type", "cwt"}, {"fmax", 200.0}}}, 2));
  EXPECT_EQ(s.failures.size(), 2u);
  ASSERT_FALSE(s.failures.empty());
  EXPECT_NE(s.failures[0].second.find("Nyquist"), std::string::npos) << s.failures[0].second;
}

}  // namespace
}  // namespace swingpipe::pipeline
