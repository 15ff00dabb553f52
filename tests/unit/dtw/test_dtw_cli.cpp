// `swingpipe dtw` and `swingpipe classify` end to end (the CLI binary built with the tests).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

TEST(DtwCli, DistanceOfTwoCsvFilesAndBadInput) {
  test::TempDir dir;
  {
    std::ofstream(dir / "a.csv") << "x\n0\n1\n2\n";
    std::ofstream(dir / "b.csv") << "x\n0\n2\n";
  }
  const std::string a = (dir / "a.csv").string(), b = (dir / "b.csv").string();
  std::string out;
  ASSERT_EQ(test::run_cli("-q --json dtw " + a + " " + b + " --squared --path", &out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(j["distance"].get<double>(), 1.0);
  EXPECT_EQ(j["path"], nlohmann::json::parse("[[0,0],[1,0],[2,1]]"));
  EXPECT_EQ(j["backend"], cuda_device_info().available() ? "cuda" : "cpu");
  EXPECT_EQ(test::run_cli("dtw " + a + " " + b + " --band-fraction 1.5", &out), 2) << out;
  EXPECT_NE(out.find("band-fraction"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("dtw " + a, &out), 2) << out;
  EXPECT_EQ(test::run_cli("dtw id:abc " + b, &out), 2) << out;
}

TEST(DtwCli, BackendDefaultsToAutoAndSaysWhatItChose) {
  test::TempDir dir;
  {
    std::ofstream(dir / "a.csv") << "x\n0\n1\n2\n";
    std::ofstream(dir / "b.csv") << "x\n0\n2\n";
  }
  const std::string files = (dir / "a.csv").string() + " " + (dir / "b.csv").string();
  const DeviceInfo dev = cuda_device_info();
  std::string out;
  ASSERT_EQ(test::run_cli("dtw " + files + " --squared", &out), 0) << out;
  if (dev.available()) {
    EXPECT_NE(out.find("dtw: backend auto: CUDA device"), std::string::npos) << out;
  } else {
    EXPECT_NE(out.find("dtw: backend auto: no usable CUDA device (" + dev.reason +
                       "); running on the CPU"),
              std::string::npos)
        << out;
  }
  // --help names the default; an explicit cpu logs no choice.
  ASSERT_EQ(test::run_cli("dtw --help", &out), 0) << out;
  EXPECT_NE(out.find("--backend TEXT=auto"), std::string::npos) << out;
  ASSERT_EQ(test::run_cli("dtw " + files + " --backend cpu", &out), 0) << out;
  EXPECT_EQ(out.find("backend auto"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("dtw " + files + " --backend gpu", &out), 2) << out;
  EXPECT_NE(out.find("unknown backend 'gpu'"), std::string::npos) << out;
}

TEST(DtwCli, BenchListsCudaCasesThatFillTheCardAndRefusesAFilterMatchingNothing) {
  std::string out;
  ASSERT_EQ(test::run_cli("bench --benchmark_list_tests=true --benchmark_filter=/cuda/", &out), 0)
      << out;
  EXPECT_NE(out.find("dtw/pairs/cuda/f32/len:512/n:8192/band:100/"), std::string::npos) << out;
  EXPECT_NE(out.find("dtw/all_pairs/cuda/f32/len:1024/n:512/band:100/"), std::string::npos);
  EXPECT_NE(out.find("dtw/all_pairs/cuda/f32/len:4097/n:128/band:100/"), std::string::npos);
  EXPECT_EQ(out.find("/cpu/"), std::string::npos) << out;
  // Every benchmark filter tools/device-kernels.txt gives the device check selects CUDA cases only,
  // and its ncu filter exactly one case.
  std::ifstream kernels(std::string(SWINGPIPE_SOURCE_DIR) + "/tools/device-kernels.txt");
  ASSERT_TRUE(kernels) << "tools/device-kernels.txt";
  int lines = 0;
  for (std::string line; std::getline(kernels, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    for (std::size_t at = 0;;) {
      const std::size_t bar = line.find(" | ", at);
      fields.push_back(line.substr(at, bar == std::string::npos ? bar : bar - at));
      if (bar == std::string::npos) break;
      at = bar + 3;
    }
    ASSERT_EQ(fields.size(), 6u) << line;
    ++lines;
    ASSERT_EQ(test::run_cli(
                  "bench --benchmark_list_tests=true --benchmark_filter='" + fields[4] + "'", &out),
              0)
        << out;
    EXPECT_GE(std::count(out.begin(), out.end(), '\n'), 1) << fields[0];
    EXPECT_EQ(out.find("/cpu/"), std::string::npos) << out;
    if (fields[5] == "-") continue;
    const std::string ncu_case = fields[5].substr(fields[5].find('@') + 1);
    ASSERT_EQ(test::run_cli(
                  "bench --benchmark_list_tests=true --benchmark_filter='" + ncu_case + "'", &out),
              0)
        << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << fields[0] << ": " << out;
  }
  EXPECT_GE(lines, 1);
  EXPECT_EQ(test::run_cli("bench --benchmark_filter=^nothing$", &out), 2) << out;
  EXPECT_NE(out.find("no benchmark matches"), std::string::npos) << out;
}

TEST(DtwCli, ClassifyReproducesThePublishedErrorRate) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  const auto dir = data / "ucr" / "ECG200";
  const std::string train = (dir / "ECG200_TRAIN.tsv").string(),
                    test = (dir / "ECG200_TEST.tsv").string();
  std::string out;
  ASSERT_EQ(test::run_cli("-q --json classify " + train + " " + test, &out), 0) << out;
  EXPECT_NEAR(nlohmann::json::parse(out)["error_rate"].get<double>(), 0.23, 1e-12);
  ASSERT_EQ(test::run_cli("-q --json classify " + train + " " + test + " --euclidean", &out), 0);
  EXPECT_NEAR(nlohmann::json::parse(out)["error_rate"].get<double>(), 0.12, 1e-12);
  ASSERT_EQ(test::run_cli("-q --json dtw --query " + test + " --refs " + train + " --knn 1", &out),
            0);
  EXPECT_EQ(nlohmann::json::parse(out)["results"].size(), 100u);
}

}  // namespace
}  // namespace swingpipe
