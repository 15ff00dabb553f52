// The executor: worker threads taking queued work in order; shutdown lets running work finish
// within a grace period, then asks it to stop at its next checkpoint.
#include <spdlog/spdlog.h>

#include "tasks/task_store.hpp"

namespace swingpipe::tasks {

Executor::Executor(Registry& registry, int workers) : registry_(registry) {
  if (workers < 1)
    throw InputError("task executor: workers must be >= 1, got " + std::to_string(workers));
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Executor::~Executor() {
  shutdown(std::chrono::milliseconds(0));
}

Task Executor::submit(std::string kind, std::string owner, nlohmann::json params, Work work) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw ShuttingDownError("the server is shutting down: no new tasks");
  }
  nlohmann::json job_params = params;
  Task t = registry_.submit(std::move(kind), std::move(owner), std::move(params));
  bool refused = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      refused = true;
    else
      queue_.push_back({t.id, std::move(job_params), std::move(work)});
  }
  if (refused) {
    registry_.finish(t.id, State::interrupted, nullptr, "the server shut down before it started");
    throw ShuttingDownError("the server is shutting down: no new tasks");
  }
  wake_.notify_one();
  return t;
}

void Executor::worker_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    Job job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    run(job);
    lock.lock();
    --running_;
    idle_.notify_all();
  }
}

void Executor::run(Job& job) {
  if (!registry_.start(job.id)) return;  // cancelled while it waited
  TaskContext ctx(registry_, job.id, job.params, interrupting_);
  State state = State::succeeded;
  nlohmann::json result;
  std::string message;
  try {
    result = job.work(ctx);
    if (ctx.stopped()) {
      state = interrupting_ ? State::interrupted : State::cancelled;
      message = interrupting_ ? "the server shut down; stopped at a checkpoint"
                              : "cancelled; stopped at a checkpoint";
    }
  } catch (const std::exception& e) {
    state = State::failed;
    message = e.what();
    result = nullptr;
  }
  try {
    registry_.finish(job.id, state, std::move(result), std::move(message));
  } catch (const std::exception& e) {
    spdlog::error("task {}: {}", job.id, e.what());
  }
}

void Executor::shutdown(std::chrono::milliseconds grace) {
  std::lock_guard once(shutdown_mutex_);
  std::deque<Job> never_started;
  {
    std::lock_guard lock(mutex_);
    if (joined_) return;
    stopping_ = true;
    never_started.swap(queue_);
  }
  wake_.notify_all();
  for (const auto& job : never_started) {
    try {
      registry_.finish(job.id, State::interrupted, nullptr,
                       "the server shut down before the task started");
    } catch (const std::exception& e) {
      spdlog::error("task {}: {}", job.id, e.what());
    }
  }
  {
    std::unique_lock lock(mutex_);
    idle_.wait_for(lock, grace, [&] { return running_ == 0; });
  }
  interrupting_ = true;  // the rest stop at their next checkpoint
  for (auto& w : workers_) w.join();
  std::lock_guard lock(mutex_);
  joined_ = true;
}

std::size_t Executor::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

}  // namespace swingpipe::tasks
