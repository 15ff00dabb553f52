#pragma once
// Async exporter (host/io): a worker thread writes files from a bounded queue, each atomically
// (temp file, fsync, rename), in submission order. submit() blocks while the queue is full and
// returns a ticket; wait(ticket) waits for that write and every earlier one; flush() waits for
// all. Both rethrow the first failure; the destructor drains the queue.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace swingpipe::io {

class AsyncExporter {
 public:
  explicit AsyncExporter(std::size_t max_queue = 64);
  ~AsyncExporter();
  AsyncExporter(const AsyncExporter&) = delete;
  AsyncExporter& operator=(const AsyncExporter&) = delete;

  /// Writes `contents` to `path` atomically.
  uint64_t submit(std::filesystem::path path, std::string contents);
  /// Runs `write` (a writer that is atomic itself, e.g. io::write_h5) on the worker thread; `what`
  /// names it in error messages.
  uint64_t submit_job(std::string what, std::function<void()> write);
  /// Waits until the write with this ticket and every earlier one have finished; throws
  /// StorageError for the first failure.
  void wait(uint64_t ticket);
  /// Waits until every submitted write has finished; throws StorageError for the first failure.
  void flush();
  int64_t written() const;

 private:
  struct Job {
    std::string what;
    std::function<void()> write;
  };
  void run();
  void rethrow_first_error(std::unique_lock<std::mutex>& lock);

  std::size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_, progressed_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  int64_t written_ = 0;
  uint64_t submitted_ = 0, finished_ = 0;  ///< tickets: jobs run in order, so finished_ is a mark
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace swingpipe::io
