// The executor: results, failures, cancellation at checkpoints, shutdown with a grace period.
#include <future>
#include <thread>

#include "swingpipe/host/tasks.hpp"
#include "test_support.hpp"

namespace swingpipe::tasks {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Exec : public ::testing::Test {
 protected:
  Registry::Options options() {
    Registry::Options o;
    o.database = dir_ / "tasks.db";
    return o;
  }
  test::TempDir dir_;
};

/// Work that reports "started" and then checks for a stop request at every "batch" until it is
/// told to stop or `batches` are done.
Executor::Work batches_work(std::promise<void>* started, int batches,
                            std::atomic<int>* done_batches) {
  return [=](TaskContext& ctx) -> nlohmann::json {
    if (started) started->set_value();
    int i = 0;
    for (; i < batches; ++i) {
      if (ctx.stop_requested()) {
        ctx.acknowledge_stop();
        break;
      }
      ctx.progress(static_cast<double>(i + 1) / batches);
      if (done_batches) ++*done_batches;
      std::this_thread::yield();
    }
    return {{"batches", i}, {"params", ctx.params()}};
  };
}

TEST_F(Exec, RunsWorkAndStoresItsResult) {
  Registry r(options());
  Executor ex(r, 2);
  const Task t = ex.submit("job", "me", {{"n", 5}}, batches_work(nullptr, 5, nullptr));
  const auto done = r.wait_finished(t.id, Clock::now() + 30s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, State::succeeded);
  EXPECT_EQ(done->result["batches"], 5);
  EXPECT_EQ(done->result["params"]["n"], 5);
  EXPECT_DOUBLE_EQ(done->progress, 1.0);
}

TEST_F(Exec, AThrowingWorkFailsWithItsMessage) {
  Registry r(options());
  Executor ex(r, 1);
  const Task t = ex.submit("job", "me", {}, [](TaskContext&) -> nlohmann::json {
    throw InputError("recording 7: no channel 'club'");
  });
  const auto done = r.wait_finished(t.id, Clock::now() + 30s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, State::failed);
  EXPECT_EQ(done->message, "recording 7: no channel 'club'");
}

TEST_F(Exec, CancelStopsRunningWorkAtItsNextCheckpoint) {
  Registry r(options());
  Executor ex(r, 1);
  std::promise<void> started;
  auto started_f = started.get_future();
  std::atomic<int> batches{0};
  const Task t = ex.submit("job", "me", {}, batches_work(&started, 1 << 30, &batches));
  // A second task queued behind it is cancelled before it starts.
  const Task queued = ex.submit("job", "me", {}, batches_work(nullptr, 1, nullptr));
  started_f.wait();
  EXPECT_EQ(r.cancel(queued.id), Registry::CancelResult::cancelled);
  EXPECT_EQ(r.cancel(t.id), Registry::CancelResult::requested);
  const auto done = r.wait_finished(t.id, Clock::now() + 30s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, State::cancelled);
  EXPECT_LT(done->result["batches"].get<int>(), 1 << 30);
  EXPECT_EQ(r.get(queued.id)->state, State::cancelled);
}

TEST_F(Exec, ShutdownLetsShortWorkFinishAndInterruptsTheRest) {
  Registry r(options());
  std::string running_id, queued_id;
  {
    Executor ex(r, 1);
    std::promise<void> started;
    auto started_f = started.get_future();
    running_id = ex.submit("job", "me", {}, batches_work(&started, 1 << 30, nullptr)).id;
    queued_id = ex.submit("job", "me", {}, batches_work(nullptr, 1, nullptr)).id;
    started_f.wait();
    ex.shutdown(0ms);  // no grace: stop at the next checkpoint
    EXPECT_THROW(ex.submit("job", "me", {}, batches_work(nullptr, 1, nullptr)), ShuttingDownError);
  }
  EXPECT_EQ(r.get(running_id)->state, State::interrupted);
  EXPECT_EQ(r.get(queued_id)->state, State::interrupted);
  EXPECT_NE(r.get(queued_id)->message.find("before the task started"), std::string::npos);

  Executor ex2(r, 1);
  std::promise<void> started;
  auto started_f = started.get_future();
  const auto quick = ex2.submit("job", "me", {}, batches_work(&started, 3, nullptr)).id;
  started_f.wait();
  ex2.shutdown(30s);  // enough grace: it finishes normally
  EXPECT_EQ(r.get(quick)->state, State::succeeded);
}

TEST_F(Exec, BadWorkerCountIsRefused) {
  Registry r(options());
  EXPECT_THROW(Executor(r, 0), InputError);
}

}  // namespace
}  // namespace swingpipe::tasks
