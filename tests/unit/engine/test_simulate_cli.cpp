// `swingpipe simulate` and `swingpipe induced-accel` end to end: JSON output, exit codes, bounded
// memory, determinism across thread counts, errors naming the bad input.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine_test_util.hpp"
#include "swingpipe/host/library.hpp"

// GCC says __SANITIZE_ADDRESS__ under AddressSanitizer, clang __has_feature(address_sanitizer).
#if defined(__has_feature)
#define SP_HAS_FEATURE(x) __has_feature(x)
#else
#define SP_HAS_FEATURE(x) 0
#endif

namespace swingpipe {
namespace {

nlohmann::json run_json(const std::string& args, int want_rc = 0) {
  std::string out;
  const int rc = test::run_cli("--json " + args + " 2>/dev/null", &out);
  EXPECT_EQ(rc, want_rc) << out;
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << out;
    return {};
  }
}

TEST(SimulateCli, RecordsSwingsAndReportsThem) {
  test::TempDir dir;
  const auto lib = (dir / "lib.db").string();
  const auto j = run_json("--library " + lib + " simulate --model " +
                          test::golfer_model("upper").string() + " --count 2 --seed 3");
  EXPECT_EQ(j["count"], 2);
  EXPECT_EQ(j["skipped"], 0);
  EXPECT_GE(j["min_impact_speed"].get<double>(), 35.0);
  EXPECT_LE(j["max_impact_speed"].get<double>(), 55.0);
  RecordingLibrary l(lib);
  EXPECT_EQ(l.count(), 2);
  const auto rec = l.get(j["first_id"].get<int64_t>());
  EXPECT_EQ(rec.meta.model_name, "golfer_upper");
  EXPECT_EQ(rec.sample_rate, 500);
  // The induced accelerations of it, found through the model hash.
  const auto ia = run_json(
      "--library " + lib + " induced-accel " + std::to_string(j["first_id"].get<int64_t>()) +
      " --models " + (std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs/models").string());
  ASSERT_TRUE(ia.is_array());
  ASSERT_EQ(ia.size(), 1u);
  EXPECT_LE(ia[0]["closure_max"].get<double>(), 1e-8);
  EXPECT_EQ(ia[0]["model"], "golfer_upper");
  double share = 0;
  for (const auto& [name, c] : ia[0]["sites"]["club_head"]["contributors"].items())
    share += c["impact_share"].get<double>();
  EXPECT_NEAR(share, 1.0, 1e-6) << "the six shares at impact sum to one";
}

TEST(SimulateCli, SameSwingsForAnyThreadCount) {
  test::TempDir dir;
  for (int t : {1, 2})
    run_json("--library " + (dir / ("t" + std::to_string(t) + ".db")).string() +
             " simulate --model " + test::golfer_model("upper").string() +
             " --count 2 --seed 9 --threads " + std::to_string(t));
  RecordingLibrary a(dir / "t1.db"), b(dir / "t2.db");
  const auto ma = a.search({}), mb = b.search({});
  ASSERT_EQ(ma.size(), 2u);
  ASSERT_EQ(mb.size(), 2u);
  for (std::size_t i = 0; i < ma.size(); ++i) EXPECT_EQ(ma[i].checksum, mb[i].checksum);
}

TEST(SimulateCli, PeakMemoryDoesNotGrowWithCount) {
#if defined(__SANITIZE_ADDRESS__) || SP_HAS_FEATURE(address_sanitizer)
  GTEST_SKIP() << "AddressSanitizer keeps freed memory in quarantine (peak RSS grows with the "
                  "work done): the release build checks bounded memory";
#endif
  // Swings stream into the library two at a time: 24 swings peak no higher than 4 plus slack for
  // the allocator and SQLite's page cache (a 2-vs-12 comparison measured 6.07 MB of such slack on
  // a loaded machine); holding all 24 would add about 20 x 1.4 MB = 28 MB.
  test::TempDir dir;
  auto peak = [&](int count) {
    const auto j = run_json("--library " + (dir / ("c" + std::to_string(count) + ".db")).string() +
                            " simulate --model " + test::golfer_model("upper").string() +
                            " --count " + std::to_string(count) + " --batch-size 2 --threads 1");
    return j["peak_rss_bytes"].get<double>();
  };
  const double small = peak(4), large = peak(24);
  EXPECT_LT(large, small + 12e6) << "peak RSS " << small << " -> " << large;
}

TEST(SimulateCli, BadInputExitsWithTheRightCodeAndNamesIt) {
  test::TempDir dir;
  const auto lib = (dir / "lib.db").string();
  std::string out;
  EXPECT_EQ(
      test::run_cli("--library " + lib + " simulate --model " + (dir / "none.xml").string(), &out),
      3)
      << out;
  EXPECT_NE(out.find("none.xml"), std::string::npos);
  const auto bad = dir / "bad.xml";
  std::ofstream(bad) << "<mujoco>\n<worldbody>\n<geom size=\"x\"/>\n</worldbody>\n</mujoco>\n";
  EXPECT_EQ(test::run_cli("--library " + lib + " simulate --model " + bad.string(), &out), 2)
      << out;
  EXPECT_NE(out.find(bad.string() + ":3:"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("--library " + lib + " simulate --model " +
                              test::golfer_model("upper").string() + " --sample-rate 333",
                          &out),
            2)
      << out;
  EXPECT_NE(out.find("333"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("--library " + lib + " simulate --model " +
                              test::golfer_model("upper").string() + " --count -3",
                          &out),
            2);
  EXPECT_EQ(test::run_cli("--library " + lib + " simulate --count 2", &out), 2) << "no --model";
  // induced-accel of a recording that was not simulated.
  ASSERT_EQ(test::run_cli("--library " + lib + " demo-data --count 1", &out), 0) << out;
  const std::string models =
      " --models " + (std::filesystem::path(SWINGPIPE_SOURCE_DIR) / "configs/models").string();
  EXPECT_EQ(test::run_cli("--library " + lib + " induced-accel 1" + models, &out), 2) << out;
  EXPECT_NE(out.find("model-sha256"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("--library " + lib + " induced-accel 99" + models, &out), 3) << out;
  EXPECT_EQ(
      test::run_cli("--library " + lib + " induced-accel 1 --models " + (dir / "nowhere").string(),
                    &out),
      2)
      << out;
  EXPECT_TRUE(RecordingLibrary(lib).integrity_check() == "ok");
}

TEST(SimulateCli, HelpDescribesTheCommands) {
  std::string out;
  EXPECT_EQ(test::run_cli("simulate --help", &out), 0);
  EXPECT_NE(out.find("--model"), std::string::npos);
  EXPECT_NE(out.find("--threads"), std::string::npos);
  EXPECT_EQ(test::run_cli("induced-accel --help", &out), 0);
  EXPECT_NE(out.find("--per-actuator"), std::string::npos);
}

}  // namespace
}  // namespace swingpipe
