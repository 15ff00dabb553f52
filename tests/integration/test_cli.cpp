// The CLI end to end, as a user runs it from the README.
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using test::run_cli;

std::string quoted(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

nlohmann::json json_of(const std::string& out) {
  // stdout carries the JSON; logs (stderr) are merged by run_cli, so take the JSON part.
  const auto start = out.find_first_of("{[");
  EXPECT_NE(start, std::string::npos) << out;
  return nlohmann::json::parse(out.substr(start));
}

TEST(Cli, VersionAndHelp) {
  std::string out;
  EXPECT_EQ(run_cli("version", &out), 0);
  EXPECT_NE(out.find("swingpipe "), std::string::npos);
  EXPECT_EQ(run_cli("--help", &out), 0);
  for (const char* sub : {"library", "run", "bench", "demo-data", "version"})
    EXPECT_NE(out.find(sub), std::string::npos) << sub;
  EXPECT_NE(run_cli("", &out), 0);
  EXPECT_NE(run_cli("frobnicate", &out), 0);
}

TEST(Cli, ImportUcrThenStats) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  test::TempDir dir;
  const auto db = dir / "lib.db";
  std::string out;
  ASSERT_EQ(
      run_cli("--library " + quoted(db) + " library import --club driver --tags ucr,gunpoint " +
                  quoted(data / "ucr/GunPoint/GunPoint_TRAIN.tsv"),
              &out),
      0)
      << out;
  ASSERT_EQ(run_cli("--json --library " + quoted(db) + " library stats", &out), 0) << out;
  const auto stats = json_of(out);
  EXPECT_EQ(stats["count"], 50);
  EXPECT_EQ(stats["total_frames"], 50 * 150);
  EXPECT_EQ(stats["by_club_type"]["driver"], 50);
  ASSERT_EQ(
      run_cli("--json --library " + quoted(db) + " library search --tag gunpoint --label 2", &out),
      0)
      << out;
  const auto found = json_of(out);
  ASSERT_FALSE(found.empty());
  for (const auto& m : found) EXPECT_EQ(m["label"], "2");
}

TEST(Cli, BadImportFileIsRejectedWholeNamingFileAndLine) {
  test::TempDir dir;
  const auto db = dir / "lib.db";
  std::ofstream(dir / "good.csv") << "time,a,b\n0,1,2\n0.01,3,4\n";
  std::ofstream(dir / "bad.csv") << "time,a,b\n0,1,2\n0.01,3\n";
  std::string out;
  EXPECT_EQ(
      run_cli("--library " + quoted(db) + " library import " + quoted(dir / "good.csv"), &out), 0)
      << out;
  EXPECT_EQ(run_cli("--library " + quoted(db) + " library import " + quoted(dir / "bad.csv"), &out),
            2)
      << out;
  EXPECT_NE(out.find("bad.csv"), std::string::npos) << out;
  EXPECT_NE(out.find("3"), std::string::npos) << out;  // the line
  RecordingLibrary lib(db);
  EXPECT_EQ(lib.count(), 1);
  EXPECT_EQ(lib.integrity_check(), "ok");
}

TEST(Cli, MissingRecordingAndBadArgumentsExitNonZero) {
  test::TempDir dir;
  const auto db = dir / "lib.db";
  std::string out;
  EXPECT_EQ(run_cli("--library " + quoted(db) + " library list", &out), 3) << out;
  EXPECT_NE(out.find("does not exist"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(db));  // a read never creates a library
  ASSERT_EQ(run_cli("-q --library " + quoted(db) + " library init", &out), 0) << out;
  EXPECT_EQ(run_cli("--library " + quoted(db) + " library show 42", &out), 3) << out;
  EXPECT_NE(out.find("42"), std::string::npos);
  EXPECT_EQ(run_cli("--library " + quoted(db) + " library show abc", &out), 2) << out;
  EXPECT_NE(
      run_cli("--library " + quoted(db) + " library import " + quoted(dir / "absent.csv"), &out),
      0);
  EXPECT_EQ(run_cli("run " + quoted(dir / "absent.json"), &out), 2) << out;
}

class CliRun : public ::testing::Test {
 protected:
  void write_config(int count, int batch_size, const std::string& extra = "") {
    std::ofstream(dir_ / "run.json")
        << R"({"library": ")" << (dir_ / "lib.db").string() << R"(", "run_id": "t", "batch_size": )"
        << batch_size << R"(, "progress": "never", "backend": "cpu",)"
        << R"("demo_data": {"seed_if_empty": true, "count": )" << count
        << R"(}, "output": {"dir": ")" << (dir_ / "out").string()
        << R"("}, "analyses": [{"type": "stats"})" << extra << "]}";
  }
  test::TempDir dir_;
};

TEST_F(CliRun, RunWritesResultsAndExports) {
  write_config(6, 4);
  std::string out;
  ASSERT_EQ(run_cli("-q --json run " + quoted(dir_ / "run.json"), &out), 0) << out;
  const auto summary = json_of(out);
  EXPECT_EQ(summary["seeded"], 6);
  EXPECT_EQ(summary["processed"], 6);
  EXPECT_EQ(summary["backend"], "cpu");
  RecordingLibrary lib(dir_ / "lib.db");
  EXPECT_EQ(lib.results("t").size(), 6u);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/t/summary.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/t/stats.csv"));
  for (int id = 1; id <= 6; ++id)
    EXPECT_TRUE(
        std::filesystem::exists(dir_ / ("out/t/recordings/" + std::to_string(id) + ".json")));
  std::ifstream csv(dir_ / "out/t/stats.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "recording_id,filename,channel,mean,std,min,max,peak_abs_rate,rms_jerk");
  // A second run with the same id has nothing left to do.
  ASSERT_EQ(run_cli("-q --json run " + quoted(dir_ / "run.json"), &out), 0) << out;
  EXPECT_EQ(json_of(out)["already_done"], 6);
  EXPECT_EQ(json_of(out)["processed"], 0);
}

TEST_F(CliRun, KilledRunResumesWithoutRedoingFinishedRecordings) {
  write_config(10, 3);
  std::string out;
  setenv("SWINGPIPE_TEST_KILL_AFTER_BATCHES", "2", 1);
  const int rc = run_cli("run " + quoted(dir_ / "run.json"), &out);
  unsetenv("SWINGPIPE_TEST_KILL_AFTER_BATCHES");
  ASSERT_EQ(rc, 128 + 9) << out;  // killed by SIGKILL after two batches
  std::vector<ResultRow> before;
  {
    RecordingLibrary lib(dir_ / "lib.db");
    EXPECT_EQ(lib.integrity_check(), "ok");
    before = lib.results("t");
    EXPECT_EQ(before.size(), 6u);  // two committed batches of three
  }
  ASSERT_EQ(run_cli("-q --json run " + quoted(dir_ / "run.json"), &out), 0) << out;
  const auto summary = json_of(out);
  EXPECT_EQ(summary["already_done"], 6);
  EXPECT_EQ(summary["processed"], 4);
  RecordingLibrary lib(dir_ / "lib.db");
  const auto after = lib.results("t");
  EXPECT_EQ(after.size(), 10u);
  for (const auto& b : before) {
    bool same = false;
    for (const auto& a : after)
      same |= a.recording_id == b.recording_id && a.payload_json == b.payload_json;
    EXPECT_TRUE(same) << b.recording_id;
  }
}

// A run killed while an array file is being written leaves no file under a final name that is
// incomplete, and no stored row names a file that is missing; the resumed run completes them.
TEST_F(CliRun, KilledInsideAnArrayWriteLeavesNoHalfWrittenFile) {
  std::ofstream(dir_ / "run.json") << nlohmann::json{
      {"library", (dir_ / "lib.db").string()},
      {"run_id", "t"},
      {"backend", "cpu"},
      {"batch_size", 2},
      {"demo_data", {{"seed_if_empty", true}, {"count", 8}}},
      {"output", {{"dir", (dir_ / "out").string()}, {"formats", {"json", "hdf5"}}}},
      {"analyses",
       {{{"type", "dtw"}, {"channels", {"club"}}, {"reference_id", 1}, {"paths", true}}}}};
  std::string out;
  setenv("SWINGPIPE_TEST_KILL_IN_H5_WRITE", "5", 1);  // inside the 5th file: batch 3
  const int rc = run_cli("-q run " + quoted(dir_ / "run.json"), &out);
  unsetenv("SWINGPIPE_TEST_KILL_IN_H5_WRITE");
  ASSERT_EQ(rc, 128 + 9) << out;
  const auto arrays = dir_ / "out/t/arrays/dtw";
  int complete = 0, temps = 0;
  for (const auto& e : std::filesystem::directory_iterator(arrays)) {
    const auto name = e.path().filename().string();
    if (name[0] == '.') {
      ++temps;  // the write that was killed
      continue;
    }
    EXPECT_NO_THROW(EXPECT_EQ(io::read_h5(e.path()).at("path").shape[1], 2)) << name;
    ++complete;
  }
  EXPECT_EQ(complete, 4);
  EXPECT_EQ(temps, 1);
  {
    RecordingLibrary lib(dir_ / "lib.db");
    EXPECT_EQ(lib.integrity_check(), "ok");
    for (const auto& row : lib.results("t")) {
      const auto file =
          nlohmann::json::parse(row.payload_json)["arrays"]["file"].get<std::string>();
      EXPECT_TRUE(std::filesystem::exists(dir_ / "out/t" / file)) << file;
    }
  }
  ASSERT_EQ(run_cli("-q --json run " + quoted(dir_ / "run.json"), &out), 0) << out;
  EXPECT_EQ(json_of(out)["processed"].get<int>() + json_of(out)["already_done"].get<int>(), 8);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(arrays))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"1.h5", "2.h5", "3.h5", "4.h5", "5.h5", "6.h5", "7.h5",
                                             "8.h5"}));  // temp removed, all complete
  for (const auto& n : names) EXPECT_NO_THROW(io::read_h5(arrays / n)) << n;
}

TEST_F(CliRun, BadConfigNamesThePathAndChangesNothing) {
  write_config(3, 2, R"(, {"type": "stats", "name": "s2", "windw": 5})");
  std::string out;
  EXPECT_EQ(run_cli("run " + quoted(dir_ / "run.json"), &out), 2) << out;
  EXPECT_NE(out.find("/analyses/1/windw"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "lib.db"));
}

TEST_F(CliRun, PrintConfigShowsDefaults) {
  write_config(3, 2);
  std::string out;
  ASSERT_EQ(run_cli("run --print-config " + quoted(dir_ / "run.json"), &out), 0) << out;
  const auto j = json_of(out);
  EXPECT_EQ(j["analyses"][0]["window"], 11);
  EXPECT_EQ(j["select"]["order_by"], "id");
}

}  // namespace
}  // namespace swingpipe

namespace swingpipe {
namespace {

TEST(Cli, DtwOnLibraryRecordingIdsMatchesTheKernel) {
  test::TempDir dir;
  const auto db = dir / "lib.db";
  std::string out;
  ASSERT_EQ(run_cli("-q --library " + quoted(db) + " demo-data --count 3", &out), 0) << out;
  ASSERT_EQ(
      run_cli("-q --json --library " + quoted(db) + " dtw id:1 id:3 --band-fraction 0.1", &out), 0)
      << out;
  const auto j = json_of(out);
  RecordingLibrary lib(db);
  const Recording a = lib.get(1), b = lib.get(3);
  const double want = dtw::reference_distance({a.data.data(), a.frames(), a.channel_count()},
                                              {b.data.data(), b.frames(), b.channel_count()},
                                              dtw::Band::fraction(0.1), false);
  ASSERT_TRUE(j.contains("distance")) << out;
  EXPECT_NEAR(j["distance"].get<double>(), want, 1e-9 * want);
  EXPECT_EQ(run_cli("--library " + quoted(db) + " dtw id:1 id:99", &out), 3) << out;
  EXPECT_NE(out.find("99"), std::string::npos);
  EXPECT_EQ(run_cli("--library " + quoted(db) + " dtw id:1 id:x", &out), 2) << out;
}

}  // namespace
}  // namespace swingpipe
