// write_file_atomic and AsyncExporter: failures leave no temp files, readers never see half a file.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "io_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/exporter.hpp"
#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using test::error_message;
using test::read_text;
using ::testing::HasSubstr;

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AtomicWrite, WritesAndLeavesOnlyTheFile) {
  test::TempDir dir;
  io::write_file_atomic(dir / "a.txt", "hello\n");
  EXPECT_EQ(read_text(dir / "a.txt"), "hello\n");
  io::write_file_atomic(dir / "empty.txt", "");
  EXPECT_EQ(read_text(dir / "empty.txt"), "");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"a.txt", "empty.txt"}));
}

TEST(AtomicWrite, MissingFolderThrowsStorageErrorNamingPathAndErrno) {
  test::TempDir dir;
  const auto p = dir / "no-such-folder" / "x.csv";
  const auto msg = error_message<StorageError>([&] { io::write_file_atomic(p, "data"); });
  EXPECT_THAT(msg, HasSubstr(p.string()));
  EXPECT_THAT(msg, HasSubstr("No such file or directory"));
  EXPECT_TRUE(names_in(dir.path()).empty());
}

TEST(AtomicWrite, FailedRenameRemovesTheTempFile) {
  test::TempDir dir;
  // The target is a non-empty folder: the temp file is written, then rename() fails.
  std::filesystem::create_directory(dir / "target");
  test::write_text(dir / "target" / "inside", "x");
  const auto msg =
      error_message<StorageError>([&] { io::write_file_atomic(dir / "target", "data"); });
  EXPECT_THAT(msg, HasSubstr((dir / "target").string()));
  EXPECT_THAT(msg, HasSubstr("rename"));
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"target"});
}

TEST(AtomicWrite, ReadOnlyFolderThrowsAndLeavesNothing) {
  test::TempDir dir;
  std::filesystem::path ro = dir / "ro";
  std::filesystem::create_directory(ro);
  ASSERT_EQ(::chmod(ro.c_str(), 0555), 0);
  // root ignores folder permissions; sysfs refuses new files even to root.
  if (::geteuid() == 0) ro = "/sys";
  const auto before = names_in(ro);
  const auto p = ro / "swingpipe-test.npy";
  const auto msg = error_message<StorageError>([&] { io::write_file_atomic(p, "d"); });
  EXPECT_THAT(msg, HasSubstr(p.string()));
  EXPECT_THAT(msg, HasSubstr("cannot create a temp file"));
  EXPECT_EQ(names_in(ro), before);
  ::chmod((dir / "ro").c_str(), 0755);
}

TEST(AtomicWrite, ParentIsAFileThrows) {
  test::TempDir dir;
  test::write_text(dir / "plain", "x");
  EXPECT_THAT(
      error_message<StorageError>([&] { io::write_file_atomic(dir / "plain" / "x.csv", "d"); }),
      HasSubstr("Not a directory"));
}

TEST(AtomicWrite, ReadersSeeTheOldOrTheNewFileNeverAMix) {
  test::TempDir dir;
  const auto p = dir / "swing.csv";
  const std::string a(1 << 20, 'a');  // 1 MiB: a non-atomic write would be seen half done
  const std::string b(3000, 'b');
  io::write_file_atomic(p, a);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, torn{0};
  std::thread reader([&] {
    while (!done.load()) {
      const std::string s = read_text(p);
      if (s != a && s != b) ++torn;
      ++reads;
    }
  });
  for (int i = 0; i < 40; ++i) io::write_file_atomic(p, i % 2 ? a : b);
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_EQ(read_text(p), a);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"swing.csv"});
}

TEST(AtomicWrite, ReplacesAnExistingLargerFileWhole) {
  test::TempDir dir;
  const auto p = dir / "r.json";
  io::write_file_atomic(p, std::string(10000, 'x'));
  io::write_file_atomic(p, "{}\n");
  EXPECT_EQ(read_text(p), "{}\n");
}

// ---- AsyncExporter --------------------------------------------------------------------------

std::string contents_for(int producer, int i) {
  return "producer " + std::to_string(producer) + " file " + std::to_string(i) + "\n" +
         std::string(static_cast<std::size_t>(i * 37 % 5000), static_cast<char>('a' + i % 26));
}

TEST(AsyncExporter, ManyProducersWithAQueueOfTwoAllComplete) {
  test::TempDir dir;
  constexpr int kProducers = 4, kFiles = 30;
  io::AsyncExporter exporter(2);
  std::vector<std::thread> producers;
  for (int k = 0; k < kProducers; ++k)
    producers.emplace_back([&, k] {
      for (int i = 0; i < kFiles; ++i)
        exporter.submit(dir / ("p" + std::to_string(k) + "_" + std::to_string(i) + ".txt"),
                        contents_for(k, i));
    });
  for (auto& t : producers) t.join();
  exporter.flush();
  EXPECT_EQ(exporter.written(), kProducers * kFiles);
  for (int k = 0; k < kProducers; ++k)
    for (int i = 0; i < kFiles; ++i)
      ASSERT_EQ(read_text(dir / ("p" + std::to_string(k) + "_" + std::to_string(i) + ".txt")),
                contents_for(k, i));
  EXPECT_EQ(names_in(dir.path()).size(), static_cast<std::size_t>(kProducers * kFiles));
}

TEST(AsyncExporter, FailureSurfacesOnFlushOnceAndLaterWritesWork) {
  test::TempDir dir;
  io::AsyncExporter exporter(2);
  exporter.submit(dir / "ok1.txt", "1");
  exporter.submit(dir / "missing" / "bad.txt", "x");
  exporter.submit(dir / "missing" / "bad2.txt", "x");  // a second failure is logged, not thrown
  exporter.submit(dir / "ok2.txt", "2");
  const auto msg = error_message<StorageError>([&] { exporter.flush(); });
  EXPECT_THAT(msg, HasSubstr((dir / "missing" / "bad.txt").string()));
  EXPECT_NO_THROW(exporter.flush());  // the error was cleared
  exporter.submit(dir / "ok3.txt", "3");
  EXPECT_NO_THROW(exporter.flush());
  EXPECT_EQ(exporter.written(), 3);
  EXPECT_EQ(read_text(dir / "ok2.txt"), "2");
  EXPECT_EQ(read_text(dir / "ok3.txt"), "3");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"ok1.txt", "ok2.txt", "ok3.txt"}));
}

TEST(AsyncExporter, DestructorFlushesEverythingSubmitted) {
  test::TempDir dir;
  {
    io::AsyncExporter exporter(3);
    for (int i = 0; i < 25; ++i)
      exporter.submit(dir / ("f" + std::to_string(i)), contents_for(0, i));
  }
  for (int i = 0; i < 25; ++i)
    EXPECT_EQ(read_text(dir / ("f" + std::to_string(i))), contents_for(0, i));
}

TEST(AsyncExporter, DestructorWithAnUnflushedErrorDoesNotThrow) {
  test::TempDir dir;
  {
    io::AsyncExporter exporter(1);
    exporter.submit(dir / "missing" / "x", "x");
    exporter.submit(dir / "after", "y");
  }
  EXPECT_EQ(read_text(dir / "after"), "y");
}

}  // namespace
}  // namespace swingpipe
