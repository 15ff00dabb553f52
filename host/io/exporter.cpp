// AsyncExporter: one worker thread drains a bounded queue of atomic file writes.
#include "swingpipe/host/exporter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"

namespace swingpipe::io {

AsyncExporter::AsyncExporter(std::size_t max_queue)
    : max_queue_(std::max<std::size_t>(1, max_queue)), worker_([this] { run(); }) {}

AsyncExporter::~AsyncExporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;  // the worker drains the queue before it leaves
  }
  not_empty_.notify_all();
  worker_.join();
  if (error_) {
    try {
      std::rethrow_exception(error_);
    } catch (const std::exception& e) {
      spdlog::error("AsyncExporter: a write failed and was never flushed: {}", e.what());
    } catch (...) {
      spdlog::error("AsyncExporter: a write failed and was never flushed");
    }
  }
}

uint64_t AsyncExporter::submit(std::filesystem::path path, std::string contents) {
  std::string what = path.string();
  return submit_job(std::move(what), [path = std::move(path), contents = std::move(contents)] {
    write_file_atomic(path, contents);
  });
}

uint64_t AsyncExporter::submit_job(std::string what, std::function<void()> write) {
  std::unique_lock lock(mutex_);
  not_full_.wait(lock, [this] { return queue_.size() < max_queue_; });
  queue_.push_back(Job{std::move(what), std::move(write)});
  const uint64_t ticket = ++submitted_;
  lock.unlock();
  not_empty_.notify_one();
  return ticket;
}

void AsyncExporter::wait(uint64_t ticket) {
  std::unique_lock lock(mutex_);
  progressed_.wait(lock, [&] { return finished_ >= ticket; });
  rethrow_first_error(lock);
}

void AsyncExporter::flush() {
  std::unique_lock lock(mutex_);
  progressed_.wait(lock, [this] { return finished_ == submitted_; });
  rethrow_first_error(lock);
}

void AsyncExporter::rethrow_first_error(std::unique_lock<std::mutex>& lock) {
  if (!error_) return;
  std::exception_ptr error = std::exchange(error_, nullptr);
  lock.unlock();
  try {
    std::rethrow_exception(error);
  } catch (const StorageError&) {
    throw;
  } catch (const std::exception& e) {
    throw StorageError(std::string("async export failed: ") + e.what());
  } catch (...) {
    throw StorageError("async export failed: unknown error");
  }
}

int64_t AsyncExporter::written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

void AsyncExporter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    not_empty_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, and nothing left to write
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    std::exception_ptr failure;
    try {
      job.write();
    } catch (const StorageError&) {
      failure = std::current_exception();  // already names the file
    } catch (const std::exception& e) {
      failure = std::make_exception_ptr(StorageError(job.what + ": " + e.what()));
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    ++finished_;
    if (!failure) {
      ++written_;
    } else if (!error_) {
      error_ = failure;
    } else {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        spdlog::error("AsyncExporter: another write failed after the first: {}", e.what());
      } catch (...) {
        spdlog::error("AsyncExporter: another write failed after the first");
      }
    }
    progressed_.notify_all();
  }
}

}  // namespace swingpipe::io
