// The task registry: capacity with LRU eviction of finished tasks only, 429 when full of
// unfinished ones, TTL expiry on the timer thread, persistence before leaving memory, restart.
#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "swingpipe/host/tasks.hpp"
#include "test_support.hpp"

namespace swingpipe::tasks {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string db_state(const std::filesystem::path& db, const std::string& id) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* s = nullptr;
  std::string out = "(absent)";
  sqlite3_prepare_v2(h, "SELECT state FROM tasks WHERE id = ?1", -1, &s, nullptr);
  sqlite3_bind_text(s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

/// Departures seen by the hook, waitable.
struct Departures {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<std::string, Registry::Departure>> seen;
  Registry::DepartureHook hook() {
    return [this](const std::string& id, Registry::Departure why) {
      std::lock_guard lock(m);
      seen.emplace_back(id, why);
      cv.notify_all();
    };
  }
};

class Tasks : public ::testing::Test {
 protected:
  Registry::Options options(std::size_t capacity = 100,
                            std::chrono::milliseconds ttl = std::chrono::hours(1)) {
    Registry::Options o;
    o.database = dir_ / "tasks.db";
    o.capacity = capacity;
    o.ttl = ttl;
    o.retry_after_seconds = 7;
    return o;
  }
  test::TempDir dir_;
};

TEST_F(Tasks, LifecycleIsPersistedAtSubmitAndFinish) {
  Registry r(options());
  const Task t = r.submit("run", "key1", {{"x", 1}});
  EXPECT_EQ(t.id.size(), 32u);
  EXPECT_EQ(t.state, State::queued);
  EXPECT_EQ(db_state(dir_ / "tasks.db", t.id), "queued");
  ASSERT_TRUE(r.start(t.id));
  EXPECT_FALSE(r.start(t.id));  // only from queued
  r.progress(t.id, 0.25, "a quarter");
  auto got = r.get(t.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, State::running);
  EXPECT_DOUBLE_EQ(got->progress, 0.25);
  EXPECT_EQ(got->message, "a quarter");
  EXPECT_GT(got->started_ms, 0);
  r.progress(t.id, 7.0);  // clamped
  EXPECT_DOUBLE_EQ(r.get(t.id)->progress, 1.0);
  r.finish(t.id, State::succeeded, {{"answer", 42}});
  got = r.get(t.id);
  EXPECT_EQ(got->state, State::succeeded);
  EXPECT_EQ(got->result["answer"], 42);
  EXPECT_EQ(got->message, "a quarter");  // the last note stays
  EXPECT_GE(got->finished_ms, got->started_ms);
  EXPECT_EQ(db_state(dir_ / "tasks.db", t.id), "succeeded");
  // Finishing twice changes nothing.
  r.finish(t.id, State::failed, nullptr, "late");
  EXPECT_EQ(r.get(t.id)->state, State::succeeded);
  EXPECT_FALSE(r.get("0123456789abcdef0123456789abcdef"));
  EXPECT_THROW(r.finish(t.id, State::running, nullptr), InputError);
}

TEST_F(Tasks, EvictsTheLeastRecentlyAccessedFinishedTaskOnly) {
  Departures gone;
  Registry r(options(3), gone.hook());
  const auto a = r.submit("k", "o", {}).id;
  const auto b = r.submit("k", "o", {}).id;
  const auto c = r.submit("k", "o", {}).id;
  for (const auto& id : {a, b, c}) r.finish(id, State::succeeded, {{"id", id}});
  r.get(a);                                  // a is now the most recently accessed
  const auto d = r.submit("k", "o", {}).id;  // room for d: b goes (not a, which came first)
  EXPECT_FALSE(r.in_memory(b));
  EXPECT_TRUE(r.in_memory(a));
  EXPECT_TRUE(r.in_memory(c));
  ASSERT_EQ(gone.seen.size(), 1u);
  EXPECT_EQ(gone.seen[0].first, b);
  EXPECT_EQ(gone.seen[0].second, Registry::Departure::evicted);
  // Nothing lost: b answers from the database.
  const auto from_db = r.get(b);
  ASSERT_TRUE(from_db);
  EXPECT_EQ(from_db->state, State::succeeded);
  EXPECT_EQ(from_db->result["id"], b);
  // The unfinished d is never the victim: c, then a go first.
  r.submit("k", "o", {});
  EXPECT_FALSE(r.in_memory(c));
  EXPECT_TRUE(r.in_memory(d));
  EXPECT_LE(r.counts().in_memory, 3u);
}

TEST_F(Tasks, FullOfUnfinishedTasksRefusesWithRetryAfter) {
  Registry r(options(2));
  const auto a = r.submit("k", "o", {}).id;
  const auto b = r.submit("k", "o", {}).id;
  r.start(b);
  try {
    r.submit("k", "o", {});
    FAIL() << "a third task fitted in a registry of 2";
  } catch (const RegistryFullError& e) {
    EXPECT_EQ(e.retry_after_seconds(), 7);
    EXPECT_NE(std::string(e.what()).find("queued or running"), std::string::npos);
  }
  EXPECT_TRUE(r.in_memory(a));
  EXPECT_TRUE(r.in_memory(b));
  r.finish(b, State::succeeded, nullptr);
  const auto c = r.submit("k", "o", {}).id;  // now b can make room
  EXPECT_FALSE(r.in_memory(b));
  EXPECT_EQ(r.get(b)->state, State::succeeded);
  EXPECT_TRUE(r.in_memory(c));
  const auto counts = r.counts();
  EXPECT_EQ(counts.in_memory, 2u);
  EXPECT_EQ(counts.queued, 2u);
  EXPECT_EQ(counts.running, 0u);
}

TEST_F(Tasks, FinishedTasksExpireAfterTheTtlUnfinishedOnesNever) {
  Departures gone;
  Registry r(options(100, 30ms), gone.hook());
  const auto waiting = r.submit("k", "o", {}).id;  // queued, older than everything below
  const auto running = r.submit("k", "o", {}).id;
  r.start(running);
  const auto done = r.submit("k", "o", {}).id;
  r.finish(done, State::succeeded, {{"v", 1}});
  // The timer thread drops `done` once its TTL has passed (wait on the hook, no sleep).
  ASSERT_TRUE(r.wait_departed(done, Clock::now() + 20s));
  {
    std::unique_lock lock(gone.m);  // the hook runs just after the task left memory
    ASSERT_TRUE(gone.cv.wait_until(lock, Clock::now() + 20s, [&] { return !gone.seen.empty(); }));
    ASSERT_EQ(gone.seen.size(), 1u);
    EXPECT_EQ(gone.seen[0].first, done);
    EXPECT_EQ(gone.seen[0].second, Registry::Departure::expired);
  }
  // Older than `done`, but unfinished: still here.
  EXPECT_TRUE(r.in_memory(waiting));
  EXPECT_TRUE(r.in_memory(running));
  EXPECT_EQ(r.get(done)->result["v"], 1);  // from the database
}

TEST_F(Tasks, RestartMarksUnfinishedTasksInterruptedAndAnswersFinishedOnes) {
  std::string queued, running, done;
  {
    Registry r(options());
    queued = r.submit("run", "o", {{"run_id", "q"}}).id;
    running = r.submit("run", "o", {{"run_id", "r"}}).id;
    r.start(running);
    done = r.submit("run", "o", {}).id;
    r.finish(done, State::succeeded, {{"processed", 3}});
  }  // the process "ends" without finishing two tasks (as after kill -9: the rows stay)
  Registry again(options());
  EXPECT_EQ(again.interrupted_at_open(), 2);
  for (const auto& id : {queued, running}) {
    const auto t = again.get(id);
    ASSERT_TRUE(t) << id;
    EXPECT_EQ(t->state, State::interrupted);
    EXPECT_NE(t->message.find("stopped before the task finished"), std::string::npos);
    EXPECT_GT(t->finished_ms, 0);
  }
  EXPECT_EQ(again.get(queued)->params["run_id"], "q");
  EXPECT_EQ(again.get(done)->state, State::succeeded);
  EXPECT_EQ(again.get(done)->result["processed"], 3);
  EXPECT_EQ(again.counts().in_memory, 0u);  // answered from the database
}

TEST_F(Tasks, Cancel) {
  Registry r(options());
  const auto q = r.submit("k", "o", {}).id;
  const auto run = r.submit("k", "o", {}).id;
  r.start(run);
  const auto done = r.submit("k", "o", {}).id;
  r.finish(done, State::succeeded, nullptr);
  EXPECT_EQ(r.cancel(q), Registry::CancelResult::cancelled);
  EXPECT_EQ(r.get(q)->state, State::cancelled);
  EXPECT_FALSE(r.start(q));
  EXPECT_EQ(r.cancel(run), Registry::CancelResult::requested);
  EXPECT_TRUE(r.cancel_requested(run));
  EXPECT_EQ(r.get(run)->state, State::running);
  EXPECT_EQ(r.cancel(done), Registry::CancelResult::already_finished);
  EXPECT_EQ(r.cancel("ffffffffffffffffffffffffffffffff"), Registry::CancelResult::not_found);
}

TEST_F(Tasks, WaitFinishedWakesOnFinish) {
  Registry r(options());
  const auto id = r.submit("k", "o", {}).id;
  r.start(id);
  std::thread finisher([&] { r.finish(id, State::succeeded, {{"v", 2}}); });
  const auto t = r.wait_finished(id, Clock::now() + 20s);
  finisher.join();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, State::succeeded);
  // A deadline in the past returns the current state at once.
  const auto other = r.submit("k", "o", {}).id;
  EXPECT_EQ(r.wait_finished(other, Clock::now())->state, State::queued);
}

TEST_F(Tasks, BadOptionsAreRefused) {
  auto o = options(0);
  EXPECT_THROW(Registry{o}, InputError);
  o = options(1, 0ms);
  EXPECT_THROW(Registry{o}, InputError);
}

}  // namespace
}  // namespace swingpipe::tasks
