#pragma once
// Background tasks (host/tasks): a registry with one set of rules for every task kind, and an
// executor. Neither knows what a task does: the work is a function, its parameters and result are
// JSON.
//
// Registry rules:
//  - Tasks live in memory up to `capacity`. A finished task leaves memory `ttl` after its last
//    update (a timer thread waits on a condition variable with that deadline), or earlier when a
//    submission needs room: then the least recently *accessed finished* task goes. Queued and
//    running tasks are never evicted; a submission to a registry full of them throws
//    RegistryFullError (HTTP 429 with Retry-After).
//  - Every task is in SQLite from submission on, and a finished task's final state and result
//    are written (group commit) before the task counts as finished: get() answers from the
//    database once a task has left memory, and after a restart.
//  - Opening the registry marks the tasks a previous process left queued or running as
//    `interrupted` (a server killed with kill -9): they are never silently gone.
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "swingpipe/error.hpp"

namespace swingpipe::tasks {

enum class State { queued, running, succeeded, failed, cancelled, interrupted };
const char* to_string(State s);
std::optional<State> parse_state(std::string_view text);
inline bool is_finished(State s) {
  return s != State::queued && s != State::running;
}

struct Task {
  std::string id;     ///< 32 hex characters, random
  std::string kind;   ///< "run", "simulation", ... (the registry does not interpret it)
  std::string owner;  ///< who submitted it (the server: the API key id)
  State state = State::queued;
  double progress = 0;  ///< 0..1
  std::string message;  ///< last progress note, or why it failed
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json result;  ///< null until finished
  int64_t created_ms = 0, started_ms = 0, updated_ms = 0,
          finished_ms = 0;  ///< Unix ms; 0 = not yet
  bool cancel_requested = false;
};

/// A submission to a registry whose every slot holds a queued or running task.
class RegistryFullError : public Error {
 public:
  RegistryFullError(const std::string& what, int retry_after_seconds)
      : Error(what), retry_after_seconds_(retry_after_seconds) {}
  int retry_after_seconds() const { return retry_after_seconds_; }

 private:
  int retry_after_seconds_;
};

/// A submission to an executor that is shutting down.
class ShuttingDownError : public Error {
 public:
  using Error::Error;
};

class TaskStore;  // SQLite persistence (group commit), private to host/tasks

class Registry {
 public:
  struct Options {
    std::filesystem::path database;  ///< SQLite file of the tasks table (created when absent)
    std::size_t capacity = 1000;     ///< tasks held in memory, any state
    std::chrono::milliseconds ttl{3600 * 1000};  ///< finished tasks leave memory this long after
                                                 ///< their last update
    int retry_after_seconds = 5;                 ///< what RegistryFullError suggests
    int retention_days = 30;  ///< finished rows older than this are deleted on open (0 = keep)
  };
  enum class Departure { expired, evicted };
  /// Called (under no lock) when a finished task leaves memory; it stays in the database.
  using DepartureHook = std::function<void(const std::string& id, Departure why)>;

  explicit Registry(Options options, DepartureHook on_departure = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Tasks of an earlier process that this one found queued or running and marked interrupted.
  int64_t interrupted_at_open() const { return interrupted_at_open_; }

  /// A new queued task, written to the database. RegistryFullError when full of unfinished tasks.
  Task submit(std::string kind, std::string owner, nlohmann::json params);
  /// The task from memory (counts as an access for the LRU order) or from the database.
  std::optional<Task> get(const std::string& id);
  /// Waits until the task is finished or the deadline passes; then as get().
  std::optional<Task> wait_finished(const std::string& id,
                                    std::chrono::steady_clock::time_point deadline);
  /// queued -> running. false when the task is not queued (cancelled while it waited).
  bool start(const std::string& id);
  /// Progress of a running task (memory only; clamped to 0..1).
  void progress(const std::string& id, double fraction, std::string message = {});
  /// Final state (succeeded, failed, cancelled, interrupted) and result, written to the database
  /// before the task counts as finished. An empty message keeps the last progress note.
  void finish(const std::string& id, State state, nlohmann::json result, std::string message = {});

  enum class CancelResult { not_found, cancelled, requested, already_finished };
  /// A queued task is cancelled at once; a running one is asked to stop (the work polls
  /// stop_requested() at its checkpoints).
  CancelResult cancel(const std::string& id);
  bool cancel_requested(const std::string& id) const;

  /// Removes finished tasks whose last update is older than the TTL (the timer thread calls it).
  std::size_t expire();

  struct Counts {
    std::size_t in_memory = 0, queued = 0, running = 0, finished = 0;
  };
  Counts counts() const;
  bool in_memory(const std::string& id) const;
  /// Ids of the queued and running tasks.
  std::vector<std::string> unfinished() const;
  /// Waits until the task has left memory (expired or evicted) or the deadline passes.
  bool wait_departed(const std::string& id, std::chrono::steady_clock::time_point deadline);
  const Options& options() const { return options_; }

 private:
  struct Memory;
  void expiry_loop();
  void notify_departures(const std::vector<std::string>& ids, Departure why);

  Options options_;
  DepartureHook on_departure_;
  std::unique_ptr<TaskStore> store_;
  std::unique_ptr<Memory> memory_;
  int64_t interrupted_at_open_ = 0;
  std::thread expiry_thread_;
};

/// What a task's work sees.
class TaskContext {
 public:
  TaskContext(Registry& registry, std::string id, const nlohmann::json& params,
              const std::atomic<bool>& interrupting)
      : registry_(registry), id_(std::move(id)), params_(params), interrupting_(interrupting) {}
  TaskContext(const TaskContext&) = delete;
  TaskContext& operator=(const TaskContext&) = delete;
  const std::string& id() const { return id_; }
  const nlohmann::json& params() const { return params_; }
  void progress(double fraction, std::string message = {}) {
    registry_.progress(id_, fraction, std::move(message));
  }
  /// true once the task was cancelled or the executor is shutting down: stop at the next
  /// checkpoint and return what was done.
  bool stop_requested() const { return interrupting_.load() || registry_.cancel_requested(id_); }
  /// The work calls this when it stopped early because stop_requested() said so (its result is
  /// partial): the task then ends cancelled, or interrupted on shutdown.
  void acknowledge_stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  Registry& registry_;
  std::string id_;
  const nlohmann::json& params_;
  const std::atomic<bool>& interrupting_;
  bool stopped_ = false;
};

/// Runs tasks of a registry on a fixed number of worker threads, in submission order.
class Executor {
 public:
  /// The work returns the task's result. If it called acknowledge_stop(), the task ends cancelled
  /// (or interrupted, on shutdown); an exception makes it failed with its message.
  using Work = std::function<nlohmann::json(TaskContext&)>;

  Executor(Registry& registry, int workers);
  ~Executor();  ///< shutdown(0)
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Registers the task and queues the work. RegistryFullError when full; ShuttingDownError after
  /// shutdown() began.
  Task submit(std::string kind, std::string owner, nlohmann::json params, Work work);
  /// Takes no more work; lets running tasks finish for up to `grace`, then asks them to stop at
  /// their next checkpoint; they and the queued tasks end `interrupted`. Idempotent.
  void shutdown(std::chrono::milliseconds grace);
  std::size_t running() const;

 private:
  struct Job {
    std::string id;
    nlohmann::json params;
    Work work;
  };
  void worker_loop();
  void run(Job& job);

  Registry& registry_;
  std::mutex shutdown_mutex_;  ///< one shutdown() at a time
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Job> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  bool joined_ = false;
  std::atomic<bool> interrupting_{false};
  std::vector<std::thread> workers_;
};

}  // namespace swingpipe::tasks
