#pragma once
// Private to host/tasks: the tasks table in SQLite (WAL, synchronous=NORMAL: a commit survives a
// killed process). write() blocks until its row is committed. Group commit without a writer
// thread: a caller that finds no commit in progress commits its row and every row queued
// meanwhile in one transaction; callers arriving during a commit wait, and one of them leads the
// next. Alone, a write costs one transaction and no thread hand-off; under contention, many
// writes share one.
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "storage/pool.hpp"
#include "swingpipe/host/tasks.hpp"

namespace swingpipe::tasks {

class TaskStore {
 public:
  explicit TaskStore(const std::filesystem::path& path);
  ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  /// Inserts or replaces the row; returns once it is committed. StorageError on failure.
  void write(const Task& task);
  std::optional<Task> load(const std::string& id);
  /// Marks queued and running rows interrupted; returns how many.
  int64_t interrupt_unfinished(int64_t now_ms);
  /// Deletes finished rows that finished before `before_ms`; returns how many.
  int64_t purge_finished_before(int64_t before_ms);
  int64_t commits() const;  ///< transactions written so far (group commit evidence)

 private:
  struct Ticket {
    bool done = false;
    std::string error;
  };
  struct Pending {
    Task task;
    std::shared_ptr<Ticket> ticket;
  };
  void write_batch(const std::vector<Pending>& batch);

  storage::Pool pool_;
  std::unique_ptr<storage::Lease> writer_;  ///< the connection the leaders write on
  std::unique_ptr<storage::Stmt> upsert_;   ///< prepared once
  std::unique_ptr<storage::Lease> reader_;  ///< the connection load() reads on
  std::unique_ptr<storage::Stmt> select_;   ///< prepared once
  std::mutex read_mutex_;                   ///< one load() at a time on reader_
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Pending> pending_;
  bool writing_ = false;  ///< a leader is committing
  int64_t commits_ = 0;
};

int64_t now_ms();

}  // namespace swingpipe::tasks
