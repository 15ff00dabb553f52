// `swingpipe library import` and `demo-data` end to end: motion-capture formats and folders,
// bad files leave the library unchanged, three processes importing into one library at once,
// demo-data in bounded memory.
#include <fstream>
#include <nlohmann/json.hpp>

#include "swingpipe/host/library.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using test::run_cli;
namespace fs = std::filesystem;

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

nlohmann::json json_out(const std::string& out) {
  const auto start = out.find_first_of("{[");
  EXPECT_NE(start, std::string::npos) << out;
  return nlohmann::json::parse(out.substr(start));
}

void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

TEST(CliMocap, ImportsAFolderRecursivelyWithMetadataFromTheFiles) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  test::TempDir dir;
  const auto db = dir / "lib.db";
  fs::create_directories(dir / "in" / "c3d");
  fs::copy_file(data / "mocap/c3d/BTS.c3d", dir / "in" / "c3d" / "BTS.c3d");
  fs::copy_file(data / "mocap/opensim/orientation_quats.sto", dir / "in" / "quats.sto");
  write(dir / "in" / "notes.txt", "skipped: not an importable format");
  std::string out;
  ASSERT_EQ(run_cli("--json --library " + q(db) + " library import " + q(dir / "in"), &out), 0)
      << out;
  EXPECT_EQ(json_out(out).size(), 1u);  // without --recursive: only quats.sto
  ASSERT_EQ(run_cli("--json --library " + q(db) + " library import --recursive --tags lab1 " +
                        "--golfer 'ann' " + q(dir / "in" / "c3d"),
                    &out),
            0)
      << out;
  const auto report = json_out(out);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0]["imported"], 2);
  ASSERT_EQ(run_cli("--json --library " + q(db) + " library search --tag c3d:BTS.c3d", &out), 0);
  const auto linked = json_out(out);
  ASSERT_EQ(linked.size(), 2u);
  EXPECT_EQ(linked[0]["filename"], "BTS.c3d");
  EXPECT_EQ(linked[1]["filename"], "BTS.c3d#analogs");
  EXPECT_EQ(linked[0]["golfer_name"], "ann");
  EXPECT_EQ(linked[0]["date_recorded"], "2019-05-24T15:13:57");
  EXPECT_EQ(linked[0]["tags"], (nlohmann::json{"c3d:BTS.c3d", "lab1"}));
  EXPECT_EQ(linked[1]["attributes"]["analog_rate"], "1000");
  ASSERT_EQ(run_cli("--json --library " + q(db) + " library show " +
                        std::to_string(linked[1]["id"].get<int>()),
                    &out),
            0);
  const auto shown = json_out(out);
  EXPECT_EQ(shown["sample_rate"], 1000.0);
  EXPECT_EQ(shown["units"][0], "N");
  EXPECT_EQ(shown["channels"].size(), 44u);
}

TEST(CliMocap, MarkersAnalogsOffAndCsvHeaderFlags) {
  test::TempDir dir;
  const auto db = dir / "lib.db";
  write(dir / "m.trc",
        "PathFileType\t4\t(X/Y/Z)\tm.trc\nDataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\n"
        "100\t100\t2\t2\tmm\nFrame#\tTime\tA\t\t\tB\t\t\n\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n"
        "1\t0\t1\t2\t3\t4\t5\t6\n2\t0.01\t1\t2\t3\t4\t5\t6\n");
  write(dir / "n.csv", "1,2\n3,4\n");
  std::string out;
  ASSERT_EQ(run_cli("--json --library " + q(db) + " library import --markers B " + q(dir / "m.trc"),
                    &out),
            0)
      << out;
  ASSERT_EQ(run_cli("--json --library " + q(db) + " library show 1", &out), 0);
  EXPECT_EQ(json_out(out)["channels"], (nlohmann::json{"B_x", "B_y", "B_z"}));
  EXPECT_EQ(run_cli("--library " + q(db) + " library import --markers B " + q(dir / "n.csv"), &out),
            2);
  EXPECT_NE(out.find("--markers applies to .c3d and .trc files only"), std::string::npos) << out;
  EXPECT_NE(
      run_cli("--library " + q(db) + " library import --header --no-header " + q(dir / "n.csv"),
              &out),
      0);
  ASSERT_EQ(
      run_cli("--json --library " + q(db) + " library import --sample-rate 50 " + q(dir / "n.csv"),
              &out),
      0)
      << out;
  ASSERT_EQ(run_cli("--json --library " + q(db) + " library show 2 --data", &out), 0);
  const auto shown = json_out(out);
  EXPECT_EQ(shown["num_frames"], 2);  // np.savetxt-style: the first line is data
  EXPECT_EQ(shown["data"]["ch0"], (nlohmann::json{1.0, 3.0}));
  EXPECT_EQ(shown["sample_rate"], 50.0);
  write(dir / "h" / "n.csv", "1,2\n3,4\n");
  ASSERT_EQ(
      run_cli("--json --library " + q(db) + " library import --header " + q(dir / "h" / "n.csv"),
              &out),
      2)
      << out;  // same filename as before: a duplicate
  EXPECT_NE(out.find("duplicate filename 'n.csv'"), std::string::npos) << out;
}

TEST(CliMocap, BadFilesNameTheByteOrLineAndLeaveTheLibraryUnchanged) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  test::TempDir dir;
  const auto db = dir / "lib.db";
  std::string out;
  ASSERT_EQ(run_cli("--library " + q(db) + " demo-data --count 3", &out), 0) << out;
  std::ifstream in(data / "mocap/c3d/FP_Type1.c3d", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  write(dir / "cut.c3d", bytes.substr(0, bytes.size() / 2));
  std::string wrong = bytes;
  wrong[1] = 0x42;
  write(dir / "magic.c3d", wrong);
  write(dir / "short.trc", "PathFileType\t4\n");
  for (const char* f : {"cut.c3d", "magic.c3d", "short.trc"}) {
    EXPECT_EQ(run_cli("--library " + q(db) + " library import " + q(dir / f), &out), 2) << out;
    EXPECT_NE(out.find(std::string(f) + ":"), std::string::npos) << out;
  }
  EXPECT_NE(out.find("short.trc:2: the file ends before"), std::string::npos) << out;
  EXPECT_EQ(run_cli("--library " + q(db) + " library import " + q(dir / "magic.c3d"), &out), 2);
  EXPECT_NE(out.find("magic.c3d: byte 1: not a C3D file"), std::string::npos) << out;
  RecordingLibrary lib(db);
  EXPECT_EQ(lib.count(), 3);
  EXPECT_EQ(lib.integrity_check(), "ok");
}

/// `n` small CSV files named <prefix>NNN.csv in `dir`.
void write_csvs(const fs::path& dir, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) {
    std::string body = "time,a,b\n";
    for (int t = 0; t < 50; ++t)
      body += std::to_string(t * 0.01) + "," + std::to_string(i) + "," + std::to_string(t) + "\n";
    write(dir / (prefix + std::to_string(1000 + i) + ".csv"), body);
  }
}

TEST(CliMocap, ThreeProcessesImportingIntoOneLibraryLoseNothing) {
  test::TempDir dir;
  const auto db = dir / "lib.db";
  constexpr int kFiles = 60;
  for (const char* p : {"p", "q", "r"}) write_csvs(dir / p, p, kFiles);
  std::string out;
  ASSERT_EQ(run_cli("--library " + q(db) + " library init", &out), 0) << out;
  const std::string cli = SWINGPIPE_CLI;
  // Three imports at once from one shell; each exit status is checked.
  std::string cmd;
  for (const char* p : {"p", "q", "r"})
    cmd += cli + " --quiet --library " + q(db) + " library import --threads 2 " + q(dir / p) +
           " & pid_" + p + "=$!; ";
  cmd += "s=0; for p in $pid_p $pid_q $pid_r; do wait $p || s=1; done; exit $s";
  ASSERT_EQ(test::run_shell("bash -c \"" + cmd + "\"", &out), 0) << out;
  RecordingLibrary lib(db);
  EXPECT_EQ(lib.count(), 3 * kFiles);
  EXPECT_EQ(lib.integrity_check(), "ok");
  SearchQuery all;
  int64_t frames = 0;
  for (const auto& m : lib.search(all)) frames += m.num_frames;
  EXPECT_EQ(frames, 3 * kFiles * 50);
  const Recording r = lib.get(*lib.find_by_filename("q1042.csv"));
  EXPECT_EQ(r.channel(0)[7], 42);
  EXPECT_EQ(r.channel(1)[49], 49);
}

/// `demo-data --count n` into a fresh library; returns the peak memory it reports (MiB).
double demo_data_peak_mib(const fs::path& db, int n) {
  // Under AddressSanitizer freed memory waits in a quarantine (256 MB by default) and would count
  // as held: keep it small so that the peak measures what the program holds.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string env = "ASAN_OPTIONS='" + std::string(asan ? std::string(asan) + ":" : "") +
                          "quarantine_size_mb=1' ";
  std::string out;
  EXPECT_EQ(test::run_shell(env + SWINGPIPE_CLI + " --json --library " + q(db) +
                                " demo-data --count " + std::to_string(n),
                            &out),
            0)
      << out;
  const auto j = json_out(out);
  EXPECT_EQ(j["count"], n);
  return j["peak_memory_mib"].get<double>();
}

TEST(CliMocap, DemoDataStreamsInBoundedMemory) {
  // Held all at once, 2000 demo swings take ~50 MB more than 500; streamed, the peak barely moves.
  test::TempDir dir;
  const double small = demo_data_peak_mib(dir / "a.db", 500);
  const double large = demo_data_peak_mib(dir / "b.db", 2000);
  RecordingLibrary lib(dir / "b.db");
  ASSERT_EQ(lib.count(), 2000);
  SearchQuery all;
  int64_t frames = 0;
  for (const auto& m : lib.search(all)) frames += m.num_frames;
  const double held_growth_mib = static_cast<double>(frames) * 12 * 8 * 0.75 / (1 << 20);
  std::cout << "[ memory   ] demo-data peak " << small << " MiB for 500 swings, " << large
            << " MiB for 2000 (holding them all would add ~" << held_growth_mib << " MiB)\n";
  EXPECT_LT(large - small, 0.25 * held_growth_mib);
}

}  // namespace
}  // namespace swingpipe
