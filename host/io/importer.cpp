// Parallel, ordered, bounded-memory import of many files (importer.hpp).
#include "swingpipe/host/importer.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "swingpipe/error.hpp"

namespace swingpipe::io {

namespace {

namespace fs = std::filesystem;

void collect_folder(const fs::path& root, bool recursive, std::vector<ImportJob>& out) {
  std::vector<fs::path> found;
  std::error_code ec;
  auto consider = [&](const fs::directory_entry& e) {
    if (e.is_regular_file(ec) && is_importable(e.path())) found.push_back(e.path());
  };
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
         it.increment(ec))
      consider(*it);
  } else {
    for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::end(it); it.increment(ec))
      consider(*it);
  }
  if (ec) throw InputError(root.string() + ": cannot list the folder: " + ec.message());
  if (found.empty())
    throw InputError(root.string() +
                     ": no importable files (.csv, .npy, .tsv, .ts, .json, .c3d, "
                     ".mot, .sto, .trc)" +
                     (recursive ? "" : " directly in it; --recursive looks in sub-folders"));
  std::sort(found.begin(), found.end());
  for (auto& p : found) {
    const fs::path rel = p.lexically_relative(root).parent_path();
    out.push_back({p, rel.empty() ? "" : rel.generic_string() + "/"});
  }
}

uint64_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

/// The shared state of one import: workers read jobs, the calling thread writes them in order.
class Pipeline {
 public:
  Pipeline(RecordingLibrary& lib, const std::vector<ImportJob>& jobs, const BatchImportOptions& o)
      : lib_(lib), jobs_(jobs), opt_(o), slots_(jobs.size()) {
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    threads_ = o.threads > 0 ? o.threads : static_cast<int>(hw);
    threads_ = std::max(1, std::min<int>(threads_, static_cast<int>(jobs.size())));
    window_ =
        o.window > 0 ? static_cast<std::size_t>(o.window) : static_cast<std::size_t>(threads_) + 2;
    for (std::size_t i = 0; i < jobs.size(); ++i) slots_[i].bytes = file_size_or_zero(jobs[i].path);
  }

  std::vector<ImportResult> run() {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads_; ++t) workers.emplace_back([this] { work(); });
    auto stop_workers = [&] {
      {
        std::lock_guard lock(mutex_);
        stop_ = true;
      }
      changed_.notify_all();
      for (auto& w : workers) w.join();
    };
    std::vector<ImportResult> results;
    std::exception_ptr stop_error;
    try {
      for (std::size_t i = 0; i < jobs_.size() && !stop_error; ++i) {
        ImportResult r = write(i);
        if (r.error && !opt_.keep_going) stop_error = r.error;
        if (opt_.on_file) opt_.on_file(r);  // before the slot is freed: callers see the bound
        release(i);
        results.push_back(std::move(r));
      }
    } catch (...) {
      stop_workers();
      throw;
    }
    stop_workers();
    if (stop_error) std::rethrow_exception(stop_error);
    return results;
  }

 private:
  struct Slot {
    uint64_t bytes = 0;
    bool done = false;
    std::vector<Recording> recordings;
    std::exception_ptr error;
  };

  static std::string message_of(const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      return x.what();
    } catch (...) {
      return "unknown error";
    }
  }

  /// May job `next_` start now? Under the lock.
  bool can_start() const {
    if (next_ >= jobs_.size()) return false;
    if (in_flight_ == 0) return true;
    return in_flight_ < window_ && bytes_in_flight_ + slots_[next_].bytes <= opt_.byte_budget;
  }

  void work() {
    while (true) {
      std::size_t i;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || can_start(); });
        if (stop_) return;
        i = next_++;
        ++in_flight_;
        bytes_in_flight_ += slots_[i].bytes;
      }
      std::vector<Recording> recs;
      std::exception_ptr error;
      try {
        recs = read_any(jobs_[i].path, opt_.read);
        for (auto& r : recs) {
          r.meta.filename = jobs_[i].prefix + r.meta.filename;
          if (opt_.adjust) opt_.adjust(r);
        }
      } catch (...) {
        recs.clear();
        error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        slots_[i].recordings = std::move(recs);
        slots_[i].error = error;
        slots_[i].done = true;
      }
      changed_.notify_all();
    }
  }

  /// Waits for file i to be read, then stores it (one transaction).
  ImportResult write(std::size_t i) {
    Slot& s = wait_for(i);
    ImportResult r{jobs_[i].path, {}, s.error, {}};
    if (!r.error) {
      try {
        r.ids = lib_.add_all(s.recordings);
      } catch (...) {
        r.error = std::current_exception();
      }
    }
    if (r.error) r.message = message_of(r.error);
    return r;
  }

  Slot& wait_for(std::size_t i) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return slots_[i].done; });
    return slots_[i];
  }

  void release(std::size_t i) {
    {
      std::lock_guard lock(mutex_);
      slots_[i].recordings = {};
      --in_flight_;
      bytes_in_flight_ -= slots_[i].bytes;
    }
    changed_.notify_all();
  }

  RecordingLibrary& lib_;
  const std::vector<ImportJob>& jobs_;
  const BatchImportOptions& opt_;
  int threads_ = 1;
  std::size_t window_ = 3;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  uint64_t bytes_in_flight_ = 0;
  bool stop_ = false;
};

}  // namespace

std::vector<ImportJob> collect_import_jobs(const std::vector<fs::path>& inputs, bool recursive) {
  std::vector<ImportJob> jobs;
  for (const auto& p : inputs) {
    std::error_code ec;
    if (!fs::exists(p, ec)) throw NotFoundError(p.string() + ": no such file or folder");
    if (fs::is_directory(p, ec))
      collect_folder(p, recursive, jobs);
    else
      jobs.push_back({p, ""});
  }
  return jobs;
}

std::vector<ImportResult> import_files(RecordingLibrary& library,
                                       const std::vector<ImportJob>& jobs,
                                       const BatchImportOptions& opt) {
  if (jobs.empty()) return {};
  return Pipeline(library, jobs, opt).run();
}

}  // namespace swingpipe::io
