// The connection pool under >= 8 threads reading and writing at once.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "storage_test_util.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe {
namespace {

TEST(LibraryPool, ManyThreadsReadAndWriteWithinTheBound) {
  test::TempDir dir;
  RecordingLibrary::Options opt;
  opt.max_connections = 3;
  RecordingLibrary lib(dir / "library.db", opt);
  auto rng = test::fresh_rng();
  const uint64_t base = rng();
  constexpr int kThreads = 8, kPerThread = 12;
  std::atomic<int> max_open{0}, checked{0};
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  auto note_open = [&] {
    const int n = lib.open_connections();
    int seen = max_open.load();
    while (n > seen && !max_open.compare_exchange_weak(seen, n)) {
    }
  };
  auto worker = [&](int t) {
    try {
      for (int i = 0; i < kPerThread; ++i) {
        const uint64_t seed = base + static_cast<uint64_t>(t * 1000 + i);
        const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        const Recording r = test::deterministic_recording(name, seed, 2, 64);
        const int64_t id = lib.add(r);
        note_open();
        const Recording back = lib.get(id);  // checksum verified inside
        if (!test::same_bits(back.data, r.data) || back.meta.filename != name)
          throw std::runtime_error("data of " + name + " differs");
        SearchQuery q;
        q.golfer = r.meta.golfer_name;
        q.limit = 5;
        if (lib.search(q).empty()) throw std::runtime_error("search lost " + name);
        if (lib.stats().count < i + 1) throw std::runtime_error("stats too small");
        note_open();
        ++checked;
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(errors_mutex);
      errors.push_back(e.what());
    }
  };
  std::atomic<bool> done{false};
  std::atomic<int> closes{0};
  std::thread closer([&] {  // close_all() while the others run: they must not notice
    while (!done.load()) {
      lib.close_all();
      ++closes;
      note_open();
      lib.count();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();
  done = true;
  closer.join();

  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(checked.load(), kThreads * kPerThread);
  EXPECT_EQ(lib.count(), kThreads * kPerThread);
  EXPECT_LE(max_open.load(), opt.max_connections);
  EXPECT_GE(max_open.load(), 1);
  EXPECT_GT(closes.load(), 0);
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kPerThread; ++i) {
      const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
      const auto id = lib.find_by_filename(name);
      ASSERT_TRUE(id) << name;
      const uint64_t seed = base + static_cast<uint64_t>(t * 1000 + i);
      EXPECT_TRUE(test::same_bits(lib.get(*id).data,
                                  test::deterministic_recording(name, seed, 2, 64).data));
    }
  EXPECT_EQ(lib.integrity_check(), "ok");

  lib.close_all();
  EXPECT_EQ(lib.open_connections(), 0);
  EXPECT_EQ(lib.count(), kThreads * kPerThread);  // reopens lazily
  EXPECT_EQ(lib.open_connections(), 1);
}

TEST(LibraryPool, BadPoolSizeIsAnInputError) {
  test::TempDir dir;
  RecordingLibrary::Options opt;
  opt.max_connections = 0;
  EXPECT_THROW(RecordingLibrary(dir / "library.db", opt), InputError);
}

}  // namespace
}  // namespace swingpipe
