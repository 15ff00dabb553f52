#pragma once
// The runner: select → plan → batch → backend → results (SQLite, one transaction per batch) and
// exports (async, atomic). A run that is killed resumes where it stopped: recordings whose results
// are all stored for the run id are not redone.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "swingpipe/host/recording.hpp"
#include "swingpipe/pipeline/config.hpp"

namespace swingpipe::pipeline {

struct RunSummary {
  std::string run_id;
  std::string backend;         ///< the backend used: cpu or cuda
  std::string backend_reason;  ///< why, when `auto` chose the CPU
  int64_t seeded = 0;          ///< demo recordings added to an empty library
  int64_t selected = 0;
  int64_t already_done = 0;  ///< skipped because a previous run stored their results
  int64_t processed = 0;
  std::vector<std::pair<int64_t, std::string>> failures;  ///< recording id, reason
  double seconds = 0;
  std::filesystem::path export_dir;
  std::vector<std::string> analyses;
  bool stopped = false;  ///< stopped early by RunHooks::stop_requested (resumable by run id)
  nlohmann::json to_json() const;
};

/// For callers that run the pipeline in the background (the HTTP server's tasks). Both are called
/// at batch boundaries, after a batch's results are committed.
struct RunHooks {
  /// Recordings done (including those a previous run of the same id stored) of `total` selected.
  std::function<void(int64_t done, int64_t total)> progress;
  /// true: stop before the next batch. What is committed stays; run-wide results (finish()) are
  /// skipped, and a run with the same id later resumes.
  std::function<bool()> stop_requested;
};

/// Runs the config. Library and config errors throw; a recording that fails (corrupt data,
/// missing channel) is reported in the summary and the run goes on.
RunSummary run(const RunConfig& config, const RunHooks& hooks = {});

}  // namespace swingpipe::pipeline
