#pragma once
// Async exporter (host/io): a worker thread writes files from a bounded queue, each atomically
// (temp file, fsync, rename). submit() blocks while the queue is full; flush() waits for every
// submitted write and rethrows the first failure; the destructor flushes.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
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

  void submit(std::filesystem::path path, std::string contents);
  /// Waits until every submitted write has finished; throws StorageError for the first failure.
  void flush();
  int64_t written() const;

 private:
  struct Job {
    std::filesystem::path path;
    std::string contents;
  };
  void run();

  std::size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_, idle_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  int64_t written_ = 0;
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace swingpipe::io
