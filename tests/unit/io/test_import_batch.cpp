// Importing many files: folders (and sub-folders with recursive), parallel reading with ordered
// writes (one transaction per file), a bounded number of files in memory, failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>

#include "c3d_writer.hpp"
#include "io_test_util.hpp"
#include "swingpipe/host/importer.hpp"
#include "swingpipe/host/library.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

namespace fs = std::filesystem;
using test::error_message;
using test::write_text;
using ::testing::HasSubstr;

/// `n` CSV files a00.csv, a01.csv, ... whose single value is their index.
void write_numbered(const fs::path& dir, int n, const std::string& prefix = "a") {
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%s%02d.csv", prefix.c_str(), i);
    write_text(dir / name, "x\n" + std::to_string(i) + "\n");
  }
}

TEST(CollectImportJobs, FoldersRecursiveAndPrefixes) {
  test::TempDir dir;
  write_numbered(dir / "top", 2);
  write_numbered(dir / "top" / "sub", 1, "s");
  write_text(dir / "top" / "readme.txt", "not data");
  const auto flat = io::collect_import_jobs({dir / "top"}, false);
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[0].path.filename(), "a00.csv");
  EXPECT_EQ(flat[0].prefix, "");
  const auto deep = io::collect_import_jobs({dir / "top"}, true);
  ASSERT_EQ(deep.size(), 3u);
  EXPECT_EQ(deep[2].path.filename(), "s00.csv");
  EXPECT_EQ(deep[2].prefix, "sub/");
  fs::create_directories(dir / "empty");
  EXPECT_THAT(error_message([&] { io::collect_import_jobs({dir / "empty"}, false); }),
              HasSubstr("no importable files"));
  EXPECT_THROW(io::collect_import_jobs({dir / "absent"}, false), NotFoundError);
  const auto named = io::collect_import_jobs({dir / "top" / "readme.txt"}, false);
  ASSERT_EQ(named.size(), 1u);  // named directly: taken, and fails when read
}

TEST(ImportFiles, ParallelReadsAreWrittenInOrderWithinTheWindow) {
  test::TempDir dir;
  write_numbered(dir / "in", 60);
  write_numbered(dir / "in" / "sub", 3, "a");  // the same names, in a sub-folder
  RecordingLibrary lib(dir / "lib.db");
  io::BatchImportOptions opt;
  opt.threads = 3;
  opt.window = 4;
  std::mutex m;
  int pending = 0, max_pending = 0;
  opt.adjust = [&](Recording& r) {
    r.meta.tags.push_back("batch");
    std::lock_guard lock(m);
    max_pending = std::max(max_pending, ++pending);
  };
  std::vector<std::string> order;
  opt.on_file = [&](const io::ImportResult& r) {
    {
      std::lock_guard lock(m);
      --pending;
    }
    order.push_back(r.path.filename().string());
  };
  const auto jobs = io::collect_import_jobs({dir / "in"}, true);
  const auto results = io::import_files(lib, jobs, opt);
  ASSERT_EQ(results.size(), 63u);
  EXPECT_LE(max_pending, 4);
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_FALSE(results[i].error) << results[i].message;
    ASSERT_EQ(results[i].ids.size(), 1u);
    EXPECT_EQ(results[i].ids[0], static_cast<int64_t>(i) + 1);  // input order
    EXPECT_EQ(order[i], jobs[i].path.filename().string());
  }
  const Recording r = lib.get(60);
  EXPECT_EQ(r.meta.filename, "a59.csv");
  EXPECT_EQ(r.data, std::vector<double>{59});
  EXPECT_EQ(lib.get(61).meta.filename, "sub/a00.csv");
  EXPECT_EQ(lib.get(61).meta.tags, std::vector<std::string>{"batch"});
  EXPECT_EQ(lib.integrity_check(), "ok");
}

TEST(ImportFiles, ByteBudgetReadsALargeFileAlone) {
  test::TempDir dir;
  write_numbered(dir / "in", 8);
  RecordingLibrary lib(dir / "lib.db");
  io::BatchImportOptions opt;
  opt.threads = 4;
  opt.byte_budget = 1;  // every file is over budget: one at a time
  std::atomic<int> pending{0};
  int max_pending = 0;
  opt.adjust = [&](Recording&) { max_pending = std::max(max_pending, ++pending); };
  opt.on_file = [&](const io::ImportResult&) { --pending; };
  const auto results = io::import_files(lib, io::collect_import_jobs({dir / "in"}, false), opt);
  EXPECT_EQ(results.size(), 8u);
  EXPECT_EQ(max_pending, 1);
  EXPECT_EQ(lib.count(), 8);
}

TEST(ImportFiles, AFailureStopsOrIsSkippedWithKeepGoing) {
  test::TempDir dir;
  write_numbered(dir / "in", 6);
  write_text(dir / "in" / "a03.csv", "x\n1\nbad\n");
  const auto jobs = io::collect_import_jobs({dir / "in"}, false);
  {
    RecordingLibrary lib(dir / "stop.db");
    io::BatchImportOptions opt;
    opt.threads = 2;
    EXPECT_THAT(error_message([&] { io::import_files(lib, jobs, opt); }),
                HasSubstr("a03.csv:3: column 'x': expected a number, got 'bad'"));
    EXPECT_EQ(lib.count(), 3);  // the files before it, each whole
  }
  RecordingLibrary lib(dir / "go.db");
  io::BatchImportOptions opt;
  opt.threads = 2;
  opt.keep_going = true;
  const auto results = io::import_files(lib, jobs, opt);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_TRUE(results[3].error);
  EXPECT_THAT(results[3].message, HasSubstr("a03.csv:3"));
  EXPECT_TRUE(results[3].ids.empty());
  EXPECT_EQ(lib.count(), 5);
  // A duplicate filename fails when stored, and that file only.
  const auto again = io::import_files(lib, {jobs[0]}, opt);
  EXPECT_THAT(again.at(0).message, HasSubstr("duplicate filename 'a00.csv'"));
  EXPECT_EQ(lib.count(), 5);
  EXPECT_EQ(lib.integrity_check(), "ok");
}

TEST(ImportFiles, C3dGivesTwoLinkedRecordingsOrOneWithAnalogsOff) {
  test::TempDir dir;
  test::SynthC3d f;
  f.point_labels = {"a"};
  f.frames = 3;
  f.points.assign(3, {1, 2, 3, 0});
  f.analog_per_frame = 2;
  f.analog_labels = {"emg"};
  f.analog_scale = {1};
  f.analog_offset = {0};
  f.analogs = {1, 2, 3, 4, 5, 6};
  fs::create_directories(dir / "in");
  f.write(dir / "in" / "t.c3d");
  RecordingLibrary lib(dir / "lib.db");
  io::BatchImportOptions opt;
  auto results = io::import_files(lib, io::collect_import_jobs({dir / "in"}, false), opt);
  ASSERT_EQ(results.at(0).ids.size(), 2u);
  SearchQuery q;
  q.tags = {"c3d:t.c3d"};
  const auto linked = lib.search(q);
  ASSERT_EQ(linked.size(), 2u);
  EXPECT_EQ(linked[1].filename, "t.c3d#analogs");
  const Recording an = lib.get(linked[1].id);
  EXPECT_EQ(an.data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(an.sample_rate, 200);
  EXPECT_EQ(lib.get(linked[0].id).units, (std::vector<std::string>{"mm", "mm", "mm"}));
  EXPECT_EQ(lib.get(linked[0].id).meta.attributes.at("format"), "C3D");
  RecordingLibrary lib2(dir / "lib2.db");
  opt.read.analogs = false;
  results = io::import_files(lib2, io::collect_import_jobs({dir / "in"}, false), opt);
  EXPECT_EQ(results.at(0).ids.size(), 1u);
  EXPECT_EQ(lib2.count(), 1);
}

}  // namespace
}  // namespace swingpipe
