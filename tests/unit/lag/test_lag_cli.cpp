// `swingpipe lag` end to end (the CLI binary built with the tests).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace swingpipe {
namespace {

/// A CSV at 100 Hz: a = noise, b = a delayed 3 samples, c = constant.
std::string write_csv(const test::TempDir& dir, std::mt19937_64& rng) {
  const auto noise = test::random_values<double>(rng, 203);
  std::ofstream f(dir / "swing.csv");
  f << "time,a,b,c\n";
  char buf[128];
  for (int t = 0; t < 200; ++t) {
    std::snprintf(buf, sizeof buf, "%.2f,%.17g,%.17g,1.5\n", t / 100.0, noise[t + 3], noise[t]);
    f << buf;
  }
  return (dir / "swing.csv").string();
}

TEST(LagCli, LagsOfACsvFileAsJsonTextAndFile) {
  test::TempDir dir;
  auto rng = test::fresh_rng();
  const std::string csv = write_csv(dir, rng);
  std::string out;
  ASSERT_EQ(test::run_cli("--json lag " + csv, &out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j["recordings"].size(), 1u);
  const auto& r = j["recordings"][0];
  EXPECT_EQ(r["channels"], nlohmann::json({"a", "b", "c"}));
  EXPECT_EQ(r["sample_rate"].get<double>(), 100.0);
  EXPECT_NEAR(r["lag_s"][0][1].get<double>(), 0.03, 1e-12);  // b lags a by 3 samples
  EXPECT_NEAR(r["lag_s"][1][0].get<double>(), -0.03, 1e-12);
  EXPECT_EQ(r["lag_samples"][0][1].get<double>(), 3.0);
  EXPECT_GT(r["correlation"][0][1].get<double>(), 0.95);
  EXPECT_EQ(r["lag_s"][0][2].get<double>(), 0.0);  // constant c: lag 0 ...
  EXPECT_TRUE(r["correlation"][0][2].is_null());   // ... and no correlation
  EXPECT_TRUE(r["max_lag"].is_null());

  ASSERT_EQ(
      test::run_cli("--json lag " + csv + " --max-lag 1 --channels b,a --precision float32", &out),
      0)
      << out;
  const auto limited = nlohmann::json::parse(out)["recordings"][0];
  EXPECT_EQ(limited["channels"], nlohmann::json({"b", "a"}));
  EXPECT_EQ(limited["max_lag"], 1);
  EXPECT_LE(std::fabs(limited["lag_samples"][0][1].get<double>()), 1.0);

  const std::string file = (dir / "lags.json").string();
  ASSERT_EQ(test::run_cli("lag " + csv + " --out " + file, &out), 0) << out;
  EXPECT_NE(out.find("lag L[i,j]"), std::string::npos) << out;
  EXPECT_NE(out.find("+0.0300"), std::string::npos) << out;
  std::ifstream in(file);
  EXPECT_EQ(nlohmann::json::parse(in)["recordings"][0]["lag_s"], r["lag_s"]);
}

TEST(LagCli, SequenceOnLibraryRecordingsAndNpyWithoutRate) {
  test::TempDir dir;
  const std::string lib = "--library " + (dir / "lib.db").string();
  std::string out;
  ASSERT_EQ(test::run_cli(lib + " -q demo-data --count 3", &out), 0) << out;
  ASSERT_EQ(test::run_cli(lib + " --json lag id:2 id:3 --channels pelvis_rot_vel,club_vel "
                                "--sequence --max-lag-s 0.2",
                          &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j["recordings"].size(), 2u);
  for (const auto& r : j["recordings"]) {
    EXPECT_EQ(r["max_lag"], 48);                   // 0.2 s at 240 Hz
    EXPECT_GT(r["lag_s"][0][1].get<double>(), 0);  // the club lags the pelvis
    EXPECT_EQ(r["sequence"]["order"], nlohmann::json({"pelvis", "thorax", "lead_arm", "club"}));
    EXPECT_TRUE(r["sequence"]["proximal_to_distal"].get<bool>());
  }
  ASSERT_EQ(test::run_cli(lib + " lag id:1 --sequence --segment hips=pelvis_rot_vel "
                                "--segment hands=lead_wrist_vel+lead_elbow_vel",
                          &out),
            0)
      << out;
  EXPECT_NE(out.find("order: hips -> hands"), std::string::npos) << out;

  // .npy carries no sample rate: lags in samples, seconds null, until --sample-rate gives one.
  ASSERT_EQ(test::run_cli(lib + " library export 1 " + (dir / "s.npy").string(), &out), 0) << out;
  const std::string npy = (dir / "s.npy").string();
  ASSERT_EQ(test::run_cli("--json lag " + npy + " --channels c6,c11", &out), 0) << out;
  auto r = nlohmann::json::parse(out)["recordings"][0];
  EXPECT_TRUE(r["lag_s"][0][1].is_null());
  EXPECT_GT(r["lag_samples"][0][1].get<double>(), 0);
  ASSERT_EQ(test::run_cli("--json lag " + npy + " --channels c6,c11 --sample-rate 240", &out), 0);
  r = nlohmann::json::parse(out)["recordings"][0];
  EXPECT_DOUBLE_EQ(r["lag_s"][0][1].get<double>(), r["lag_samples"][0][1].get<double>() / 240);
}

TEST(LagCli, ArraysGoToHdf5AndNpyThatH5pyAndNumpyRead) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  test::TempDir dir;
  auto rng = test::fresh_rng();
  const std::string csv = write_csv(dir, rng);
  std::string out;
  ASSERT_EQ(test::run_cli("--json lag " + csv, &out), 0) << out;
  const auto want = nlohmann::json::parse(out)["recordings"][0];
  const std::string h5 = (dir / "one.h5").string(), two = (dir / "two.h5").string(),
                    npy = (dir / "two.npy").string();
  ASSERT_EQ(test::run_cli("-q lag " + csv + " --out " + h5, &out), 0) << out;
  ASSERT_EQ(test::run_cli("-q lag " + csv + " " + csv + " --out " + two, &out), 0) << out;
  ASSERT_EQ(test::run_cli("-q lag " + csv + " " + csv + " --out " + npy, &out), 0) << out;
  {
    std::ofstream(dir / "read.py") << R"PY(
import json, sys
import h5py, numpy as np
out = {}
with h5py.File(sys.argv[1], "r") as f:
    out["lag"] = np.where(np.isnan(f["lag"][()]), None, f["lag"][()]).tolist()
    out["corr01"] = float(f["correlation"][0, 1])
    out["units"] = f["lag"].attrs["units"]
    out["axes"] = f["lag"].attrs["axes"]
    out["channels"] = [str(c) for c in f["lag"].attrs["channels"]]
with h5py.File(sys.argv[2], "r") as f:
    out["groups"] = sorted(f.keys())
    out["lag1"] = f["1/lag_samples"][()].tolist()
a = np.load(sys.argv[3])
out["npy_shape"] = list(a.shape)
out["npy01"] = float(a[1, 0, 1])
print(json.dumps(out))
)PY";
  }
  ASSERT_EQ(
      test::run_shell(
          py.string() + " " + (dir / "read.py").string() + " " + h5 + " " + two + " " + npy, &out),
      0)
      << out;
  const auto got = nlohmann::json::parse(out);
  EXPECT_EQ(got["lag"], want["lag_s"]);
  EXPECT_EQ(got["corr01"].get<double>(), want["correlation"][0][1].get<double>());
  EXPECT_EQ(got["units"], "s");
  EXPECT_EQ(got["axes"], "channel,channel");
  EXPECT_EQ(got["channels"], nlohmann::json({"a", "b", "c"}));
  EXPECT_EQ(got["groups"], nlohmann::json({"0", "1"}));
  EXPECT_EQ(got["lag1"], want["lag_samples"]);
  EXPECT_EQ(got["npy_shape"], nlohmann::json({2, 3, 3}));
  EXPECT_EQ(got["npy01"].get<double>(), want["lag_s"][0][1].get<double>());
}

TEST(LagCli, BadInputIsRefusedWithTheRightExitCode) {
  test::TempDir dir;
  auto rng = test::fresh_rng();
  const std::string csv = write_csv(dir, rng);
  std::string out;
  EXPECT_EQ(test::run_cli("lag", &out), 2) << out;
  EXPECT_EQ(test::run_cli("lag " + csv + " --max-lag -1", &out), 2) << out;
  EXPECT_NE(out.find("--max-lag"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("lag " + csv + " --max-lag 2 --max-lag-s 0.1", &out), 2) << out;
  EXPECT_EQ(test::run_cli("lag " + csv + " --precision half", &out), 2) << out;
  EXPECT_EQ(test::run_cli("lag " + csv + " --channels a,zz", &out), 2) << out;
  EXPECT_NE(out.find("'zz'"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("lag " + csv + " --out lags.txt", &out), 2) << out;
  EXPECT_NE(out.find(".json, .h5 or .npy"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("lag " + csv + " --sequence --segment pelvis", &out), 2) << out;
  EXPECT_EQ(test::run_cli("lag " + csv + " --sequence", &out), 2) << out;  // no default channels
  EXPECT_NE(out.find("pelvis_rot_vel"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("lag " + csv + " --sample-rate 50", &out), 2) << out;  // file says 100
  EXPECT_EQ(test::run_cli("lag id:abc", &out), 2) << out;
  EXPECT_EQ(test::run_cli("lag " + (dir / "missing.csv").string(), &out), 3) << out;
  const std::string lib = "--library " + (dir / "lib.db").string();
  ASSERT_EQ(test::run_cli(lib + " -q demo-data --count 1", &out), 0) << out;
  EXPECT_EQ(test::run_cli(lib + " lag id:99", &out), 3) << out;
  EXPECT_EQ(test::run_cli("lag --help", &out), 0) << out;
  EXPECT_NE(out.find("--max-lag-s"), std::string::npos);
  {
    std::ofstream f(dir / "nan.csv");
    f << "time,a,b\n0,1,2\n0.01,nan,3\n0.02,2,1\n0.03,0,5\n";
  }
  ASSERT_EQ(test::run_cli("--json lag " + (dir / "nan.csv").string(), &out), 0) << out;
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["recordings"][0]["nan_channels"], nlohmann::json({"a"}));
  EXPECT_TRUE(j["recordings"][0]["lag_s"][0][1].is_null());
  EXPECT_NE(out.find("holds NaN"), std::string::npos) << out;  // the warning on stderr
}

}  // namespace
}  // namespace swingpipe
