// 8 threads x 100 000 mixed operations on one registry (submit, start, progress, finish, cancel,
// get, expire), with invariants checked as they go and at the end: the capacity holds, no
// unfinished task ever leaves memory, every finished task answers with its own result (from
// memory or the database), and the database has a row for every task. The mix is mostly reads
// and updates (as a server sees it: a task is polled many times); submissions and finishes, which
// wait for SQLite, are 6% of the operations, to keep the test to seconds on 2 cores.
#include <sqlite3.h>

#include <atomic>
#include <random>
#include <thread>

#include "swingpipe/host/tasks.hpp"
#include "test_support.hpp"

namespace swingpipe::tasks {
namespace {

constexpr int kThreads = 8;
constexpr int kOpsPerThread = 100000;
constexpr std::size_t kCapacity = 512;
constexpr std::size_t kUnfinishedPerThread = 6;  // 8 x 6 = 48 < capacity: never a 429
constexpr std::size_t kFinishedWindow = 24;      // recent finished tasks a thread re-reads: 8 x 24
                                                 // + 48 unfinished > capacity, so some are evicted

struct Mine {
  std::string id;
  State state;
  int64_t value = 0;
};

struct Failure {
  std::mutex m;
  std::string first;
  void report(const std::string& what) {
    std::lock_guard lock(m);
    if (first.empty()) first = what;
  }
};

void worker(Registry& r, int thread, uint64_t seed, Failure& fail, std::atomic<int64_t>& submits,
            std::atomic<int64_t>& db_reads) {
  std::mt19937_64 rng(seed + static_cast<uint64_t>(thread));
  std::vector<Mine> open;      // queued or running, mine
  std::vector<Mine> finished;  // a window of my recent finished tasks
  std::vector<Mine> history;   // all my finished tasks (the old ones are evicted or expired)
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::string owner = "t" + std::to_string(thread);
  for (int op = 0; op < kOpsPerThread && fail.first.empty(); ++op) {
    const int dice = static_cast<int>(rng() % 100);
    if (dice < 3) {  // submit (a database write)
      if (open.size() >= kUnfinishedPerThread) continue;
      try {
        const Task t = r.submit("stress", owner, {{"op", op}});
        open.push_back({t.id, State::queued, 0});
        ++submits;
      } catch (const RegistryFullError&) {
        fail.report("429 although at most 48 of 512 slots are unfinished");
      }
    } else if (dice < 6) {  // start
      if (open.empty()) continue;
      Mine& m = open[pick(open.size())];
      if (m.state != State::queued) continue;
      if (!r.start(m.id)) fail.report("start refused my queued task " + m.id);
      m.state = State::running;
    } else if (dice < 26) {  // progress
      if (open.empty()) continue;
      const Mine& m = open[pick(open.size())];
      r.progress(m.id, static_cast<double>(op % 100) / 100.0);
    } else if (dice < 29) {  // finish, or cancel a queued one (a database write)
      if (open.empty()) continue;
      const std::size_t i = pick(open.size());
      Mine m = open[i];
      open.erase(open.begin() + static_cast<std::ptrdiff_t>(i));
      if (m.state == State::queued && rng() % 4 == 0) {
        if (r.cancel(m.id) != Registry::CancelResult::cancelled)
          fail.report("cancel of my queued task failed");
        m.state = State::cancelled;
      } else {
        m.value = static_cast<int64_t>(rng() >> 1);
        r.finish(m.id, State::succeeded, {{"value", m.value}, {"owner", owner}});
        m.state = State::succeeded;
      }
      finished.push_back(m);
      history.push_back(m);
      if (finished.size() > kFinishedWindow) finished.erase(finished.begin());
    } else if (dice < 96) {  // get
      if (rng() % 2 == 0 && !open.empty()) {
        const Mine& m = open[pick(open.size())];
        if (!r.in_memory(m.id)) fail.report("unfinished task " + m.id + " left memory");
        const auto t = r.get(m.id);
        if (!t || t->state != m.state)
          fail.report("unfinished task " + m.id + " has the wrong state");
      } else if (!finished.empty()) {
        const bool old = rng() % 16 == 0 && !history.empty();  // mostly from the database
        const Mine& m = old ? history[pick(history.size())] : finished[pick(finished.size())];
        if (!r.in_memory(m.id)) ++db_reads;
        const auto t = r.get(m.id);
        if (!t) {
          fail.report("finished task " + m.id + " is lost");
        } else if (t->state != m.state) {
          fail.report("finished task " + m.id + " reads " + to_string(t->state));
        } else if (m.state == State::succeeded &&
                   (t->result.value("value", int64_t{-1}) != m.value ||
                    t->result.value("owner", "") != owner)) {
          fail.report("finished task " + m.id + " has another task's result");
        }
      }
    } else if (dice < 98) {
      r.expire();
    } else {
      const auto c = r.counts();
      if (c.in_memory > kCapacity) fail.report("over capacity");
      if (c.queued + c.running > kThreads * kUnfinishedPerThread)
        fail.report("more unfinished tasks than were submitted");
    }
  }
  for (const auto& m : open)  // the end: everything still open is in memory with its state
    if (!r.in_memory(m.id) || r.get(m.id)->state != m.state)
      fail.report("at the end, unfinished task " + m.id + " is not as left");
}

TEST(TaskRegistryStress, EightThreadsHundredThousandOpsEach) {
  test::TempDir dir;
  Registry::Options o;
  o.database = dir / "tasks.db";
  o.capacity = kCapacity;
  o.ttl = std::chrono::milliseconds(1000);  // expiry competes with eviction
  Registry r(o);
  Failure fail;
  std::atomic<int64_t> submits{0}, db_reads{0};
  const uint64_t seed = test::fresh_rng()();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back(worker, std::ref(r), t, seed, std::ref(fail), std::ref(submits),
                         std::ref(db_reads));
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(fail.first.empty()) << fail.first;
  EXPECT_LE(r.counts().in_memory, kCapacity);
  EXPECT_GT(db_reads.load(), 0) << "no finished task was ever answered from the database";
  // Every submitted task has its row.
  sqlite3* h = nullptr;
  sqlite3_open((dir / "tasks.db").c_str(), &h);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(h, "SELECT count(*) FROM tasks", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(s, 0), submits.load());
  sqlite3_finalize(s);
  sqlite3_close(h);
  std::cout << "[ stress   ] " << kThreads * kOpsPerThread << " ops in " << secs << " s ("
            << submits.load() << " tasks, " << db_reads.load() << " answers from the database)\n";
}

}  // namespace
}  // namespace swingpipe::tasks
