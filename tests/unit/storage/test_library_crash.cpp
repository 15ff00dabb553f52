// Crash safety (kill -9 mid-write) and corruption detection.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"

namespace swingpipe {
namespace {

std::string crash_name(int64_t seq) {
  return "crash-" + std::to_string(seq);
}
Recording crash_recording(int64_t seq, uint64_t base) {
  return test::deterministic_recording(crash_name(seq), base + static_cast<uint64_t>(seq), 3,
                                       100 + seq % 37);
}

/// Reads exactly `size` bytes; false at end of file.
bool read_all(int fd, void* buf, std::size_t size) {
  auto* p = static_cast<char*>(buf);
  while (size > 0) {
    const ssize_t n = read(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

TEST(LibraryCrash, KillNineMidWriteLosesNothingCommitted) {
  test::TempDir dir;
  const auto path = dir / "library.db";
  auto rng = test::fresh_rng();
  const uint64_t base = rng();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the writer: one transaction per recording, reports each committed id
    close(fds[0]);
    try {
      RecordingLibrary lib(path);
      for (int64_t seq = 0; seq < 1'000'000; ++seq) {
        const int64_t msg[2] = {seq, lib.add(crash_recording(seq, base))};
        if (write(fds[1], msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) _exit(3);
      }
    } catch (...) {
      _exit(2);
    }
    _exit(0);
  }
  close(fds[1]);
  std::uniform_int_distribution<int> how_many(10, 60);
  const int wanted = how_many(rng);
  std::vector<std::pair<int64_t, int64_t>> committed;
  for (int i = 0; i < wanted; ++i) {
    int64_t msg[2];
    ASSERT_TRUE(read_all(fds[0], msg, sizeof msg)) << "writer died early";
    committed.emplace_back(msg[0], msg[1]);
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  close(fds[0]);

  RecordingLibrary lib(path);
  EXPECT_EQ(lib.integrity_check(), "ok");
  EXPECT_GE(lib.count(), wanted);
  for (const auto& [seq, id] : committed) {
    const Recording back = lib.get(id);  // checksum verified
    const Recording expected = crash_recording(seq, base);
    EXPECT_EQ(back.meta.filename, crash_name(seq));
    EXPECT_EQ(back.channels, expected.channels);
    EXPECT_TRUE(test::same_bits(back.data, expected.data)) << crash_name(seq);
  }
  // Whatever else made it in (commits after the last report) is whole too.
  for (const auto& m : lib.search({})) {
    const int64_t seq = std::stoll(m.filename.substr(6));
    EXPECT_TRUE(test::same_bits(lib.get(m.id).data, crash_recording(seq, base).data));
  }
  // The library stays writable.
  lib.add(test::deterministic_recording("after", 1));
  EXPECT_EQ(lib.integrity_check(), "ok");
}

/// Replaces the stored blob of `id` by `blob` (and, when given, its checksum) with raw SQL.
void overwrite_blob(const std::filesystem::path& path, int64_t id, const std::string& blob,
                    const std::string* checksum = nullptr) {
  test::RawDb raw(path);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw.get(),
                               checksum ? "UPDATE series SET data = ?1, checksum = ?3 "
                                          "WHERE recording_id = ?2"
                                        : "UPDATE series SET data = ?1 WHERE recording_id = ?2",
                               -1, &s, nullptr),
            SQLITE_OK);
  sqlite3_bind_blob(s, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 2, id);
  if (checksum) sqlite3_bind_text(s, 3, checksum->c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
  sqlite3_finalize(s);
  EXPECT_EQ(sqlite3_changes(raw.get()), 1);
}

std::string read_blob(const std::filesystem::path& path, int64_t id) {
  test::RawDb raw(path);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(raw.get(), "SELECT data FROM series WHERE recording_id = ?1", -1, &s, nullptr);
  sqlite3_bind_int64(s, 1, id);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW)
    out.assign(static_cast<const char*>(sqlite3_column_blob(s, 0)),
               static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
  sqlite3_finalize(s);
  return out;
}

TEST(LibraryCorruption, FlippedByteThrowsNamingTheRecording) {
  test::TempDir dir;
  const auto path = dir / "library.db";
  auto rng = test::fresh_rng();
  int64_t victim = 0, bystander = 0;
  {
    RecordingLibrary lib(path);
    victim = lib.add(test::random_recording(rng, "victim.csv", 3, 77));
    bystander = lib.add(test::random_recording(rng, "bystander.csv", 3, 77));
  }
  std::string blob = read_blob(path, victim);
  ASSERT_EQ(blob.size(), 3u * 77u * 8u);
  const std::size_t at = std::uniform_int_distribution<std::size_t>(0, blob.size() - 1)(rng);
  blob[at] = static_cast<char>(blob[at] ^ (1 << (rng() % 8)));
  overwrite_blob(path, victim, blob);

  RecordingLibrary lib(path);
  try {
    lib.get(victim);
    FAIL() << "corrupt data returned";
  } catch (const CorruptDataError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("recording " + std::to_string(victim)), std::string::npos) << msg;
    EXPECT_NE(msg.find("victim.csv"), std::string::npos) << msg;
  }
  EXPECT_EQ(lib.get(bystander).meta.filename, "bystander.csv");
  EXPECT_EQ(lib.get_meta(victim).filename, "victim.csv");  // metadata alone is still readable
}

TEST(LibraryCorruption, TruncatedBlobWithMatchingChecksumIsCaught) {
  test::TempDir dir;
  const auto path = dir / "library.db";
  int64_t id = 0;
  {
    RecordingLibrary lib(path);
    id = lib.add(test::deterministic_recording("short.csv", 5, 2, 10));
  }
  std::string blob = read_blob(path, id);
  blob.resize(blob.size() - 8);
  const std::string checksum = io::sha256_hex(blob.data(), blob.size());
  overwrite_blob(path, id, blob, &checksum);
  RecordingLibrary lib(path);
  EXPECT_THROW(lib.get(id), CorruptDataError);
}

}  // namespace
}  // namespace swingpipe
