// `swingpipe dtw` and `swingpipe classify` end to end (the CLI binary built with the tests).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

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
  ASSERT_EQ(test::run_cli("--json dtw " + a + " " + b + " --squared --path", &out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(j["distance"].get<double>(), 1.0);
  EXPECT_EQ(j["path"], nlohmann::json::parse("[[0,0],[1,0],[2,1]]"));
  EXPECT_EQ(test::run_cli("dtw " + a + " " + b + " --band-fraction 1.5", &out), 2) << out;
  EXPECT_NE(out.find("band-fraction"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("dtw " + a, &out), 2) << out;
  EXPECT_EQ(test::run_cli("dtw id:abc " + b, &out), 2) << out;
}

TEST(DtwCli, ClassifyReproducesThePublishedErrorRate) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  const auto dir = data / "ucr" / "ECG200";
  const std::string train = (dir / "ECG200_TRAIN.tsv").string(),
                    test = (dir / "ECG200_TEST.tsv").string();
  std::string out;
  ASSERT_EQ(test::run_cli("--json classify " + train + " " + test, &out), 0) << out;
  EXPECT_NEAR(nlohmann::json::parse(out)["error_rate"].get<double>(), 0.23, 1e-12);
  ASSERT_EQ(test::run_cli("--json classify " + train + " " + test + " --euclidean", &out), 0);
  EXPECT_NEAR(nlohmann::json::parse(out)["error_rate"].get<double>(), 0.12, 1e-12);
  ASSERT_EQ(test::run_cli("--json dtw --query " + test + " --refs " + train + " --knn 1", &out), 0);
  EXPECT_EQ(nlohmann::json::parse(out)["results"].size(), 100u);
}

}  // namespace
}  // namespace swingpipe
